"""The task output JSON exactly as the STELAR data API accepts it.

The API validates a posted output strictly (`Task_Output` in stelar-eu/data-api): top-level keys
only `metrics`, `status`, `error`, `message`, `output`, `outputs`, unknown keys refused; `status` a
string or an int; `output`/`outputs` a dict of string -> string. A group of several files therefore
posts one string (the prefix they were written under) and the files are listed in
`metrics.output_files`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

ALLOWED_KEYS = frozenset({"metrics", "status", "error", "message", "output", "outputs"})


def document(status: str | int, message: str, outputs: Mapping[str, str], metrics: Mapping[str, Any]) -> dict[str, Any]:
    return {"message": message, "outputs": dict(outputs), "metrics": dict(metrics), "status": status}


def _mapping_problems(doc: dict[str, Any]) -> list[str]:
    found = []
    for key in ("output", "outputs"):
        if key not in doc:
            continue
        value = doc[key]
        if not isinstance(value, dict):
            found.append(f"{key}: expected an object of string -> string, found {type(value).__name__}")
            continue
        found += [
            f"{key}.{name}: expected a string, found {type(target).__name__}"
            for name, target in value.items()
            if not isinstance(target, str)
        ]
    return found


def problems(doc: Any) -> list[str]:
    """Why the STELAR API would refuse `doc` (empty when it would accept it)."""
    if not isinstance(doc, dict):
        return [f"expected a JSON object, found {type(doc).__name__}"]
    allowed = ", ".join(sorted(ALLOWED_KEYS))
    found = [f"{key}: unknown key (allowed: {allowed})" for key in doc if key not in ALLOWED_KEYS]
    status = doc.get("status")
    if "status" in doc and (isinstance(status, bool) or not isinstance(status, (str, int))):
        found.append(f"status: expected a string or an integer, found {status!r}")
    found += _mapping_problems(doc)
    if "metrics" in doc and not isinstance(doc["metrics"], dict):
        found.append(f"metrics: expected an object, found {type(doc['metrics']).__name__}")
    found += [
        f"{key}: expected a string, found {type(doc[key]).__name__}"
        for key in ("message", "error")
        if doc.get(key) is not None and not isinstance(doc[key], str)
    ]
    return found
