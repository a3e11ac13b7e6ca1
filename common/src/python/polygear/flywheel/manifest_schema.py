"""Flywheel's own manifest and engine-metadata schemas, from the installed fw-gear package.

Taken from fw-gear (Flywheel's copy) so that our lint, our local runs and Flywheel agree on what a
valid manifest and a valid `.metadata.json` are.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

import jsonschema

from polygear.core.errors import UserError
from polygear.core.spec import ToolSpec


@cache
def _fw_gear_schema(name: str) -> dict[str, Any]:
    text = resources.files("fw_gear").joinpath(name).read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def manifest_schema() -> dict[str, Any]:
    """The Flywheel gear manifest JSON Schema (draft-04) shipped inside fw-gear."""
    return _fw_gear_schema("manifest.schema.json")


def engine_metadata_schema() -> dict[str, Any]:
    """The schema Flywheel's engine applies to a gear's output `.metadata.json`."""
    return _fw_gear_schema("engine_metadata_schema.json")


def json_pointer_field(path: Any) -> str:
    """Render a jsonschema error path as a dotted field name (`config.column.default`)."""
    parts = [str(p) for p in path]
    return ".".join(parts) if parts else "(top level)"


def schema_violations(data: Any) -> list[jsonschema.ValidationError]:
    """Violations of the Flywheel manifest schema, in document order."""
    validator = jsonschema.Draft4Validator(manifest_schema())
    return sorted(validator.iter_errors(data), key=lambda e: [str(p) for p in e.absolute_path])


def require_valid(spec: ToolSpec) -> None:
    """Refuse to run a gear whose manifest Flywheel itself would reject."""
    errors = [(json_pointer_field(e.absolute_path), e.message) for e in schema_violations(spec.data)]
    if errors:
        field, message = errors[0]
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        raise UserError(f"{spec.path}:{field}", f"manifest does not match the schema: {message}{more}")
