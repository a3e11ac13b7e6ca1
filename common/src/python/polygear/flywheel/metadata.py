"""Rendering a run's neutral annotations as Flywheel's `.metadata.json`.

Flywheel applies `.metadata.json` after a job: info and tags on files under the container each file
belongs to (an input file's parent container comes from config.json's `hierarchy`; outputs land on
the destination). The document is validated against the engine metadata schema shipped in fw-gear
before any output is published, and written atomically only when there is something to say.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import jsonschema

from polygear.core.annotations import Annotations, FileNote
from polygear.core.jsonfile import write_json_atomic
from polygear.flywheel.manifest_schema import engine_metadata_schema

METADATA_NAME = ".metadata.json"


def _file_entry(doc: dict[str, Any], container_type: str, name: str, note: FileNote) -> None:
    files: list[dict[str, Any]] = doc.setdefault(container_type, {}).setdefault("files", [])
    entry = next((e for e in files if e["name"] == name), None)
    if entry is None:
        entry = {"name": name}
        files.append(entry)
    if note.info:
        entry.setdefault("info", {}).update(note.info)
    if note.tags:
        entry["tags"] = sorted(set(entry.get("tags") or []) | set(note.tags))


def render(annotations: Annotations, inputs_config: Mapping[str, Any], destination_type: str) -> dict[str, Any]:
    """The `.metadata.json` document for `annotations` (empty when there is nothing to say)."""
    doc: dict[str, Any] = {}
    destination = destination_type or "analysis"
    for input_name, note in annotations.inputs.items():
        entry = inputs_config.get(input_name) or {}
        container_type = (entry.get("hierarchy") or {}).get("type") or "acquisition"
        name = (entry.get("location") or {}).get("name")
        if not name:
            raise KeyError(f"input {input_name!r} has no file to attach metadata to")
        _file_entry(doc, container_type, name, note)
    for file_name, note in annotations.outputs.items():
        _file_entry(doc, destination, file_name, note)
    if annotations.run:
        doc.setdefault(destination, {}).setdefault("info", {}).update(annotations.run)
    return doc


def errors(doc: Mapping[str, Any]) -> list[str]:
    try:
        json.dumps(doc, allow_nan=False)
    except (TypeError, ValueError) as exc:
        return [f"(document): not strict JSON: {exc}"]
    validator = jsonschema.Draft7Validator(engine_metadata_schema())
    return [
        f"{'.'.join(str(p) for p in e.absolute_path) or '(top level)'}: {e.message}" for e in validator.iter_errors(doc)
    ]


def check(doc: Mapping[str, Any]) -> None:
    """A gear producing invalid metadata is a bug: raise before anything is published."""
    problems = errors(doc)
    if problems:
        raise ValueError(f"gear produced invalid {METADATA_NAME}: {'; '.join(problems)}")


def write(output_dir: Path, doc: Mapping[str, Any]) -> Path | None:
    if not doc:
        return None
    check(doc)
    path = Path(output_dir) / METADATA_NAME
    write_json_atomic(path, doc)
    return path
