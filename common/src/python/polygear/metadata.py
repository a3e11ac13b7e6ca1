"""Building the `.metadata.json` Flywheel's engine applies after a job.

Gears describe what they learned (a profile summary, a validation status) about their input files or
the analysis; this module places it under the right container, validates it against the engine
metadata schema shipped in fw-gear, and writes it atomically only when there is something to say.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jsonschema

from polygear.jsonfile import write_json_atomic
from polygear.manifest import engine_metadata_schema

METADATA_NAME = ".metadata.json"


class GearMetadata:
    def __init__(self, inputs_config: dict[str, Any], destination_type: str) -> None:
        self._inputs = inputs_config
        self._destination_type = destination_type or "analysis"
        self._data: dict[str, Any] = {}

    def _files(self, container_type: str) -> list[dict[str, Any]]:
        container = self._data.setdefault(container_type, {})
        files: list[dict[str, Any]] = container.setdefault("files", [])
        return files

    def _file_entry(self, container_type: str, name: str) -> dict[str, Any]:
        files = self._files(container_type)
        for entry in files:
            if entry["name"] == name:
                return entry
        entry = {"name": name}
        files.append(entry)
        return entry

    def update_input_file(
        self, input_name: str, info: dict[str, Any] | None = None, tags: list[str] | None = None
    ) -> None:
        """Attach info/tags to the file given as `input_name`, under the container it came from."""
        inp = self._inputs.get(input_name) or {}
        hierarchy = inp.get("hierarchy") or {}
        container_type = hierarchy.get("type") or "acquisition"
        name = (inp.get("location") or {}).get("name")
        if not name:
            raise KeyError(f"input {input_name!r} has no file to attach metadata to")
        entry = self._file_entry(container_type, name)
        if info:
            entry.setdefault("info", {}).update(info)
        if tags:
            entry["tags"] = sorted(set(entry.get("tags") or []) | set(tags))

    def update_output_file(self, name: str, info: dict[str, Any] | None = None, tags: list[str] | None = None) -> None:
        """Attach info/tags to an output file (it lands on the destination container)."""
        entry = self._file_entry(self._destination_type, name)
        if info:
            entry.setdefault("info", {}).update(info)
        if tags:
            entry["tags"] = sorted(set(entry.get("tags") or []) | set(tags))

    def update_destination(self, info: dict[str, Any]) -> None:
        self._data.setdefault(self._destination_type, {}).setdefault("info", {}).update(info)

    def as_dict(self) -> dict[str, Any]:
        return self._data

    def errors(self) -> list[str]:
        validator = jsonschema.Draft7Validator(engine_metadata_schema())
        return [
            f"{'.'.join(str(p) for p in e.absolute_path) or '(top level)'}: {e.message}"
            for e in validator.iter_errors(self._data)
        ]

    def write(self, output_dir: Path) -> Path | None:
        """Validate and write; a gear producing invalid metadata is a bug, so this raises."""
        if not self._data:
            return None
        problems = self.errors()
        if problems:
            raise ValueError(f"{METADATA_NAME} would be invalid: " + "; ".join(problems))
        path = Path(output_dir) / METADATA_NAME
        write_json_atomic(path, self._data)
        return path
