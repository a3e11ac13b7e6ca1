"""The indexer: the files of a job's archive folder, selected by its patterns, recorded with the job.

The folder is `<archive root>/<the job's archive path>` (SD2E's `/products/v2/...`). Files are listed
recursively and selected when any pattern matches the file's name (`re.search` on the patterns
joined with `|`; no pattern: every file), then recorded with their processing level and SHA-256.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from polygear.sd2e.jobs import Job

CHUNK = 1 << 20


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(CHUNK), b""):
            digest.update(block)
    return "sha256:" + digest.hexdigest()


def select(folder: Path, filters: Sequence[str]) -> list[Path]:
    pattern = re.compile("|".join(f"(?:{f})" for f in filters)) if filters else None
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    return [p for p in files if pattern is None or pattern.search(p.name)]


def index_job(
    store: Any, job: Job, archive_root: str | None, filters: Sequence[str], level: str
) -> list[dict[str, Any]]:
    """Record the job's selected files (none when there is no archive root or folder); what was recorded."""
    if not archive_root:
        return []
    folder = Path(archive_root) / job.archive_path.lstrip("/")
    if not folder.is_dir():
        return []
    records = [
        {"path": p.relative_to(folder).as_posix(), "level": level, "checksum": sha256(p), "size": p.stat().st_size}
        for p in select(folder, filters)
    ]
    store.record_files(job.uuid, records)
    return records
