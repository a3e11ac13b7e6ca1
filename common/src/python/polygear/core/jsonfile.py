"""Reading JSON files with errors that name the file and the place in it; writing files atomically."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, BinaryIO

from polygear.core.errors import UserError


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
    except RecursionError:
        raise UserError(str(path), f"{what} is nested too deeply to read") from None
    if not isinstance(value, dict):
        raise UserError(str(path), f"expected a JSON object, found {type(value).__name__}")
    return value


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextmanager
def atomic_file(path: Path) -> Iterator[BinaryIO]:
    """A binary file written under a temporary sibling name and renamed to `path` when the block
    ends without an error (removed otherwise), so readers never see half a file.

    It gets the mode an ordinary `open()` would give it (0666 minus the umask), not mkstemp's
    private 0600: outputs and reports are meant to be read by others.
    """
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            yield fh
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_bytes_atomic(path: Path, data: bytes) -> None:
    with atomic_file(path) as fh:
        fh.write(data)


def write_text_atomic(path: Path, text: str) -> None:
    write_bytes_atomic(path, text.encode("utf-8"))


def write_json_atomic(path: Path, value: Any, indent: int | None = 2) -> None:
    """Write JSON atomically (see `write_bytes_atomic`)."""
    write_text_atomic(path, json.dumps(value, indent=indent, sort_keys=False) + "\n")
