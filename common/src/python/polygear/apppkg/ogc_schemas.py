"""Validators for the deploy document against the published OGC schemas (a local copy, never fetched).

- the process description: OGC API - Processes 1.0 `process.yaml` (what ADES/ZOO serve back);
- the whole document: the 2.0 draft's Part 2 `dru_ogcapppkg.yaml`.

The 2.0 draft's files `$ref` each other across the specification's folders
(`../processes-core/process.yaml`, `executionUnit.yaml` beside `ogcapppkg.yaml`), while a copy may
keep them in one flat folder (here: `dru_` prefixes for Part 2's own files). `DRAFT_FILES` maps the
`$ref` paths to the flat names. A few files the draft's `$ref`s reach are not in such a copy; each
gets the narrowest stand-in that keeps `oneOf` meaningful (`ogcapppkg-array.yaml` is an array, so an
object never matches it twice); the ones that only add optional properties accept anything.

One name collides in a flat copy: the draft's `processes-core/schema.yaml` (the OpenAPI 3.0 subset an
input's `schema` is written in) and another part's `schema.yaml` (a feature-attributes schema that
demands `type: object` and `properties`, which no parameter schema is). `PART1_FILES` reads the
processes one from the 1.0 folder, where it is the same schema (exclusive bounds as booleans,
`nullable`, `contentMediaType`), with the `reference.yaml` it refers to.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jsonschema

from polygear.core.ogc_schema import schema_validator

PART1_FOLDER = "ogcapi-processes-1.0"
DRAFT_FOLDER = "ogcapi-processes-2.0-draft"
DEPLOY_ROOT = "dru_ogcapppkg.yaml"
DRAFT_FILES = {"executionUnit.yaml": "dru_executionUnit.yaml"}
PART1_FILES = frozenset({"schema.yaml", "reference.yaml"})
DRAFT_STAND_INS: dict[str, Any] = {
    "ogcapppkg-array.yaml": {"type": "array"},
    "inputBinding.yaml": {"type": "object"},
    "outputBinding.yaml": {"type": "object"},
    "linkBaseExtended.yaml": {"type": "object"},
    "value.yaml": {},
    "values.yaml": {},
    "executionUnitRequirements.yaml": {"type": "object"},
    "dataClasses.yaml": {"type": "object"},
    "dataAccessAPIs.yaml": {"type": "object"},
}
# One folder deep, so that `../processes-core/...` stays under the specification's schemas.
DRAFT_BASE_URI = "https://schemas.opengis.net/ogcapi/processes/part2/2.0/openapi/schemas/ogcapppkg/"


def process_validator(specs: Path) -> jsonschema.Draft4Validator:
    return schema_validator(Path(specs) / PART1_FOLDER)


def _locate(ref_path: str) -> str:
    """`../processes-core/process.yaml` -> `process.yaml`; Part 2's own files carry a `dru_` prefix."""
    name = ref_path.rsplit("/", 1)[-1]
    if name in PART1_FILES:
        return f"../{PART1_FOLDER}/{name}"
    return DRAFT_FILES.get(name, name)


def deploy_validator(specs: Path) -> jsonschema.Draft4Validator:
    """A validator for a whole ogcapppkg document against the 2.0 draft's `dru_ogcapppkg.yaml`."""
    return schema_validator(Path(specs) / DRAFT_FOLDER, DEPLOY_ROOT, _locate, DRAFT_STAND_INS, base_uri=DRAFT_BASE_URI)
