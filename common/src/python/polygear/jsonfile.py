"""Reading and writing JSON files with errors that name the file and the place in it."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from polygear.errors import UserError


def read_json_object(path: Path, what: str = "JSON file") -> dict[str, Any]:
    """Load a JSON object, turning every failure into a one-line `UserError` naming `path`."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UserError(str(path), f"{what} not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(str(path), f"cannot read {what}: {exc}") from None
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UserError(f"{path}:{exc.lineno}:{exc.colno}", f"invalid JSON in {what}: {exc.msg}") from None
    if not isinstance(value, dict):
        raise UserError(str(path), f"expected a JSON object, found {type(value).__name__}")
    return value


def write_json_atomic(path: Path, value: Any, indent: int | None = 2) -> None:
    """Write JSON to a temporary sibling and rename it, so readers never see half a file."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(value, fh, indent=indent, sort_keys=False)
            fh.write("\n")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
