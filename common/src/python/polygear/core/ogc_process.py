"""A tool's parameters and outputs in OGC API - Processes words, shared by every OGC-based platform.

D4Science CCP Methods and OGC application packages (ADES, ZOO-Project-DRU) both describe a tool as
an OGC API - Processes 1.0 process: inputs with an OpenAPI 3.0 schema, outputs with a media type.
Both derive those from the manifest here, so a parameter's bounds, enum and default read the same on
every platform.
"""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import Any

MEDIA_TYPES = {".json": "application/json", ".html": "text/html", ".csv": "text/csv", ".png": "image/png"}
DEFAULT_MEDIA_TYPE = "application/octet-stream"


def parameter_schema(directive: dict[str, Any]) -> dict[str, Any]:
    """A manifest config directive as an OGC 1.0 (OpenAPI 3.0) schema: exclusive bounds are booleans."""
    kind = directive.get("type", "string")
    schema: dict[str, Any] = {"type": kind}
    if kind == "array":
        items = directive.get("items")
        schema["items"] = parameter_schema(items) if isinstance(items, dict) else {}
    for key in ("enum", "minimum", "maximum", "minLength", "maxLength", "pattern", "minItems", "maxItems"):
        if key in directive:
            schema[key] = directive[key]
    for bound, exclusive in (("minimum", "exclusiveMinimum"), ("maximum", "exclusiveMaximum")):
        value = directive.get(exclusive)
        if isinstance(value, bool):  # draft-04 spelling, as OpenAPI 3.0: a flag beside the bound
            if value and bound in directive:
                schema[exclusive] = True
        elif isinstance(value, (int, float)):  # draft-06+ spelling: the bound itself
            schema[bound] = value
            schema[exclusive] = True
    if "default" in directive:
        schema["default"] = directive["default"]
    return schema


def media_type(glob: str) -> str:
    """The media type an output group's files have, guessed from its glob's extension."""
    return MEDIA_TYPES.get(PurePosixPath(glob).suffix.lower(), DEFAULT_MEDIA_TYPE)


def title(name: str) -> str:
    """A readable title for an input or output id (`max_errors` -> `Max errors`)."""
    return name.replace("_", " ").replace("-", " ").capitalize()
