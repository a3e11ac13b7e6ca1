"""A gear's manifest.json: loading it with clear errors and reading what the engine needs from it.

The Flywheel manifest schema is taken from the installed `fw_gear` package (Flywheel's own copy) so
that our lint and Flywheel agree on what a valid manifest is.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema

from polygear.errors import UserError
from polygear.jsonfile import read_json_object

CONFIG_TYPES = ("string", "integer", "number", "boolean", "array")


@lru_cache(maxsize=None)
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


@dataclass(frozen=True)
class Manifest:
    """The parts of a manifest the engine and the developer tools rely on."""

    path: Path
    data: dict[str, Any]

    @classmethod
    def load(cls, path: Path) -> Manifest:
        path = Path(path)
        return cls(path, read_json_object(path, "gear manifest"))

    @property
    def name(self) -> str:
        return str(self.data.get("name", ""))

    @property
    def version(self) -> str:
        return str(self.data.get("version", ""))

    @property
    def image(self) -> str:
        custom = self.data.get("custom")
        builder = custom.get("gear-builder") if isinstance(custom, dict) else None
        image = builder.get("image") if isinstance(builder, dict) else None
        return image if isinstance(image, str) else ""

    @property
    def config_spec(self) -> dict[str, dict[str, Any]]:
        config = self.data.get("config", {})
        return config if isinstance(config, dict) else {}

    @property
    def inputs_spec(self) -> dict[str, dict[str, Any]]:
        inputs = self.data.get("inputs", {})
        return inputs if isinstance(inputs, dict) else {}

    def file_inputs(self) -> dict[str, dict[str, Any]]:
        return {k: v for k, v in self.inputs_spec.items() if v.get("base") == "file"}

    def api_key_inputs(self) -> list[str]:
        return [k for k, v in self.inputs_spec.items() if v.get("base") == "api-key"]

    def schema_violations(self) -> list[jsonschema.ValidationError]:
        """Violations of the Flywheel manifest schema, in document order."""
        validator = jsonschema.Draft4Validator(manifest_schema())
        return sorted(validator.iter_errors(self.data), key=lambda e: [str(p) for p in e.absolute_path])

    def schema_errors(self) -> list[tuple[str, str]]:
        """(field, message) for each violation of the Flywheel manifest schema."""
        return [(json_pointer_field(e.absolute_path), e.message) for e in self.schema_violations()]

    def require_valid(self) -> None:
        """Refuse to run a gear whose manifest Flywheel itself would reject."""
        errors = self.schema_errors()
        if errors:
            field, message = errors[0]
            more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
            raise UserError(f"{self.path}:{field}", f"manifest does not match the schema: {message}{more}")
