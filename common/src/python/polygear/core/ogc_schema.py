"""Validating documents against the OGC API - Processes schemas, with every `$ref` resolved.

Used for process descriptions (CCP Methods, application packages: 1.0 `process.yaml`) and for the
Part 2 (DRU) deploy document (`ogcapppkg`, 2.0 draft `dru_ogcapppkg.yaml`).

The OGC 1.0 schemas are OpenAPI 3.0 Schema Objects, i.e. JSON Schema draft-04 (draft Wright-00)
with OpenAPI's own keywords, so they are validated with Draft 4 semantics:

- `exclusiveMinimum`/`exclusiveMaximum` are booleans beside `minimum`/`maximum` (schema.yaml itself
  says `multipleOf: {minimum: 0, exclusiveMinimum: true}`; a Draft 6+ validator would compare numbers
  with `true`, i.e. 1);
- `nullable: true` (OpenAPI only) allows null besides `type`: rewritten to `type: [T, "null"]` when
  the files are loaded. process.yaml's files use none today (only statusCode.yaml does), so this
  only keeps a newer copy of the schemas from being read wrongly;
- `example`, `readOnly`, `writeOnly`, `deprecated` are annotations, ignored like any unknown keyword;
- `format` is checked where the standard library can (`regex`, for `pattern` values).

The files are read from a local copy of the specification (never fetched): `$ref`s are followed
eagerly, so a missing file is reported when the validator is built, not on the first Method that
happens to reach it.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import jsonschema
import yaml
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

PROCESS = "process.yaml"
# Where OGC publishes these files; used as the base URI only (nothing is downloaded).
BASE_URI = "https://schemas.opengis.net/ogcapi/processes/part1/1.0/openapi/schemas/"


def oas30_to_draft4(node: Any) -> Any:
    """OpenAPI 3.0's `nullable: true` as Draft 4 says it; everything else unchanged."""
    if isinstance(node, list):
        return [oas30_to_draft4(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: oas30_to_draft4(value) for key, value in node.items()}
    if out.get("nullable") is True and isinstance(out.get("type"), str):
        out["type"] = [out["type"], "null"]
    return out


def _refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str):  # not a property *named* $ref (reference.yaml has one)
            yield ref
        for value in node.values():
            yield from _refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from _refs(item)


def load_schemas(
    folder: Path,
    root: str = PROCESS,
    locate: Callable[[str], str] | None = None,
    stand_ins: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Every schema file `root` reaches through `$ref`, by path relative to `root`'s folder.

    `locate` maps such a path to the file that holds it in `folder` (for a flattened copy of the
    specification, e.g. `../processes-core/process.yaml` -> `process.yaml`); `stand_ins` gives a
    schema for a located name `folder` does not hold. Any other missing file is an error, raised here.
    """
    stand_ins = dict(stand_ins or {})
    todo, schemas = [root], {}
    while todo:
        name = todo.pop()
        if name in schemas:
            continue
        located = locate(name) if locate else name
        path = Path(folder) / located
        if not path.is_file() and located in stand_ins:
            schemas[name] = stand_ins[located]
            continue
        if not path.is_file():
            raise FileNotFoundError(f"{path}: a schema file the OGC API Processes $refs name is missing")
        schemas[name] = oas30_to_draft4(yaml.safe_load(path.read_text(encoding="utf-8")))
        for ref in _refs(schemas[name]):
            target = ref.partition("#")[0]
            if target:
                todo.append(posixpath.normpath(posixpath.join(posixpath.dirname(name), target)))
    return schemas


def schema_validator(
    folder: Path,
    root: str = PROCESS,
    locate: Callable[[str], str] | None = None,
    stand_ins: Mapping[str, Any] | None = None,
    base_uri: str = BASE_URI,
) -> jsonschema.Draft4Validator:
    """A validator for documents of the schema `folder`/`root` (see `load_schemas` for the mappings).

    Each file is registered at its URI under `base_uri` (`..` resolved), which is where a relative
    `$ref` inside another file points.
    """
    schemas = load_schemas(folder, root, locate, stand_ins)
    resources: list[tuple[str, Resource[Any]]] = [
        (urljoin(base_uri, name), DRAFT4.create_resource(schema)) for name, schema in schemas.items()
    ]
    registry: Registry[Any] = Registry().with_resources(resources)
    return jsonschema.Draft4Validator(
        {"$ref": urljoin(base_uri, root)}, registry=registry, format_checker=jsonschema.Draft4Validator.FORMAT_CHECKER
    )


def process_validator(folder: Path) -> jsonschema.Draft4Validator:
    """A validator for one process description (a Method) against `folder`/process.yaml."""
    return schema_validator(folder)


def _leaves(error: jsonschema.ValidationError) -> Iterator[jsonschema.ValidationError]:
    if not error.context:
        yield error
    for sub in error.context or ():
        yield from _leaves(sub)


def violations(validator: jsonschema.Draft4Validator, method: dict[str, Any]) -> list[str]:
    """Each violation as `dotted.path: message`; under oneOf/anyOf, every branch's own reason.

    schema.yaml is `oneOf: [reference, schema object]`, so a bad input schema fails both branches;
    the message a reader needs ("'readonly' was unexpected") is one level down.
    """
    out = []
    for error in validator.iter_errors(method):
        where = ".".join(str(p) for p in error.absolute_path) or "(top level)"
        if error.context:
            reasons = "; ".join(sorted({leaf.message for leaf in _leaves(error)}))
            out.append(f"{where}: no {error.validator} branch matches ({reasons})")
        else:
            out.append(f"{where}: {error.message}")
    return sorted(out)
