"""Identifiers exactly as SD2E's Data Catalog (python-datacatalog 2.x) computes them.

A pipeline defined here and registered in SD2E's catalog must get the same UUID, so the algorithms
are SD2E's, byte for byte (restated in the reference vectors' README):

- catalog UUID of a text: `uuid5(uuid3(NAMESPACE_DNS, "sd2e.org"), text)` with its first three hex
  digits replaced by a type prefix (generic 100, file 105, pipeline 106, job 107, job event 108);
- pipeline: text = `id + ":" + compact sorted JSON of the components` (the id defaults to the
  literal "pipeline.id", as in SD2E's code); only the components count, so renaming keeps the UUID;
- job: the `pipeline_uuid`, `child_of` and `data` values as strings (dicts as compact sorted JSON,
  anything else Python's `str()`), sorted and joined with ":";
- archive path: `/products/v2/<pipeline>/<hashid of child_of>/<hashid of data>` (dashes removed).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from typing import Any

NAMESPACE = uuid.uuid3(uuid.NAMESPACE_DNS, "sd2e.org")
PREFIXES = {"generic": "100", "file": "105", "pipeline": "106", "job": "107", "event": "108"}
DEFAULT_PIPELINE_ID = "pipeline.id"
HASHID_SALT = "xCPJ7PKTdp8BYYb4twh9xNYD"
ARCHIVE_ROOT = "/products/v2"


def compact_json(value: Any) -> str:
    """SD2E's canonical JSON: sorted keys, no spaces (`json.dumps(..., sort_keys=True, separators=(",", ":"))`)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def catalog_uuid(text: str, kind: str = "generic") -> str:
    """The typed catalog UUID of `text` (`kind` one of PREFIXES)."""
    digest = uuid.uuid5(NAMESPACE, text)
    return str(uuid.UUID(PREFIXES[kind] + digest.hex[3:]))


def pipeline_uuid(document: dict[str, Any]) -> str:
    """A pipeline's UUID: from its components (and its optional `id`) only."""
    text = str(document.get("id", DEFAULT_PIPELINE_ID)) + ":" + compact_json(document.get("components", []))
    return catalog_uuid(text, "pipeline")


def _job_part(value: Any) -> str:
    return compact_json(value) if isinstance(value, dict) else str(value)


def job_uuid(pipeline: str, child_of: Sequence[str], data: dict[str, Any]) -> str:
    """A pipeline job's UUID (SD2E: the sorted string forms of pipeline_uuid, child_of, data)."""
    parts = sorted(_job_part(value) for value in (pipeline, list(child_of), data))
    return catalog_uuid(":".join(parts), "job")


def event_uuid(text: str) -> str:
    return catalog_uuid(text, "event")


def hashid(value: str) -> str:
    """SD2E's short id of a UUID: Hashids over its 128-bit integer, with the catalog's salt."""
    from hashids import Hashids  # type: ignore[import-untyped]  # no type hints shipped

    return str(Hashids(salt=HASHID_SALT).encode(uuid.UUID(value).int))


def archive_path(pipeline: str, child_of: Sequence[str], data: dict[str, Any], instance: str | None = None) -> str:
    """`/products/v2/<pipeline>/<hashid of child_of>/<hashid of data>[/<instance>]`, dashes removed."""
    parents = catalog_uuid(":".join(sorted(child_of)))
    content = catalog_uuid(compact_json(data))
    path = "/".join((ARCHIVE_ROOT, pipeline.replace("-", ""), hashid(parents), hashid(content)))
    return f"{path}/{instance}" if instance else path
