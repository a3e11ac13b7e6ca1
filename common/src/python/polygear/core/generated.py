"""Committed files generated from manifests (CCP Methods, application packages): write or check them.

Generated descriptors are committed so they can be reviewed and published as they are, and checked
so they never drift from the manifests: `sync(..., check=True)` writes nothing and names each stale
or missing file; `check=False` rewrites only what changed, each file atomically.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from polygear.core.jsonfile import write_text_atomic


def committed_text(path: Path) -> str | None:
    """A committed file's text, or None when it is missing or unreadable (regenerating fixes both)."""
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None


def sync(files: Mapping[Path, tuple[str, Path]], check: bool) -> tuple[list[Path], list[str]]:
    """`files`: path -> (text, the manifest it comes from). Returns (written, problems)."""
    written: list[Path] = []
    problems: list[str] = []
    for path, (text, source) in files.items():
        committed = committed_text(path)
        if committed == text:
            continue
        if check:
            state = "missing" if committed is None else "stale"
            problems.append(f"{path}: {state} (not the file generated from {source})")
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            write_text_atomic(path, text)
            written.append(path)
    return written, problems
