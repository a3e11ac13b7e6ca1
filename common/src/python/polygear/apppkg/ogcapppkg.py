"""A tool's OGC API - Processes Part 2 (DRU) deploy document: `{processDescription, executionUnit}`.

An ADES or ZOO-Project-DRU deploys a process when it receives this document
(`POST /processes`, `Content-Type: application/ogcapppkg+json`). The execution unit carries the
CWL package inline (`{"value": <CWL>, "mediaType": "application/cwl+json"}`), so the document is
complete on its own: nothing has to be hosted at a URL first. The process description is the same
tool in OGC API - Processes 1.0 words (valid against 1.0 `process.yaml` and the 2.0 draft's), with
parameters described by the same schemas as the tool's CCP Method (`polygear.core.ogc_process`).
"""

from __future__ import annotations

import json
from typing import Any

from polygear.core.ogc_process import media_type, parameter_schema, title
from polygear.core.spec import ToolSpec

CWL_MEDIA_TYPE = "application/cwl+json"
DEPLOY_MEDIA_TYPE = "application/ogcapppkg+json"
# Flywheel file types (manifest `inputs.<name>.type.enum`) as media types; others: octet-stream.
FILE_TYPES = {
    "tabular data": "text/csv",
    "text": "text/plain",
    "json": "application/json",
    "source code": "text/plain",
    "image": "image/png",
}
DEFAULT_FILE_TYPE = "application/octet-stream"


def _file_schema(directive: dict[str, Any]) -> dict[str, Any]:
    declared = directive.get("type")
    kinds = declared.get("enum") if isinstance(declared, dict) else None
    types = list(dict.fromkeys(FILE_TYPES.get(str(k).lower(), DEFAULT_FILE_TYPE) for k in kinds or ()))
    schemas: list[dict[str, Any]] = [{"type": "string", "contentMediaType": t} for t in types or [DEFAULT_FILE_TYPE]]
    return schemas[0] if len(schemas) == 1 else {"oneOf": schemas}


def process_description(spec: ToolSpec) -> dict[str, Any]:
    """The tool as an OGC API - Processes 1.0 process (id = the CWL Workflow's id = the tool name)."""
    inputs: dict[str, dict[str, Any]] = {}
    for name, directive in spec.file_inputs.items():
        inputs[name] = {
            "title": title(name),
            "description": str(directive.get("description", "")),
            "minOccurs": 0 if directive.get("optional") else 1,
            "maxOccurs": 1,
            "schema": _file_schema(directive),
        }
    for name, directive in spec.parameters.items():
        inputs[name] = {
            "title": title(name),
            "description": str(directive.get("description", "")),
            "minOccurs": 0 if directive.get("optional") or "default" in directive else 1,
            "maxOccurs": 1,
            "schema": parameter_schema(directive),
        }
    outputs = {
        group.name: {
            "title": title(group.name),
            "description": group.description or f"Files matching {group.glob}.",
            "schema": {"type": "array", "items": {"type": "string", "contentMediaType": media_type(group.glob)}},
        }
        for group in spec.outputs.values()
    }
    description: dict[str, Any] = {
        "id": spec.name,
        "title": spec.label or spec.name,
        "description": spec.description,
        "version": spec.version,
        "keywords": [spec.name, "polygear"],
        "jobControlOptions": ["async-execute"],
        "outputTransmission": ["reference"],
        "inputs": inputs,
        "outputs": outputs,
    }
    source = spec.data.get("source") or spec.data.get("url")
    if isinstance(source, str) and source:
        description["links"] = [{"href": source, "rel": "about", "type": "text/html", "title": "Source code"}]
    return description


def deploy_document(spec: ToolSpec, cwl: dict[str, Any]) -> dict[str, Any]:
    """The ogcapppkg document: the process description and the CWL package inline."""
    return {
        "processDescription": {"process": process_description(spec)},
        "executionUnit": {"value": cwl, "mediaType": CWL_MEDIA_TYPE},
    }


def render(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
