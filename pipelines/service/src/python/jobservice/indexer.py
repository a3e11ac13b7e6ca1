"""The indexer: the files of a job's archive folder, selected by its patterns, recorded with the job.

The folder is `<archive root>/<the job's archive path>` (SD2E's `/products/v2/...`), where the root is
a local folder or an S3/MinIO bucket, `s3://bucket[/prefix]` (endpoint and keys from
POLYGEAR_JOBS_S3_ENDPOINT, POLYGEAR_JOBS_S3_ACCESS_KEY, POLYGEAR_JOBS_S3_SECRET_KEY; read with the
minio SDK). Files are listed recursively and selected when any pattern matches the file's name
(`re.search` on the patterns joined with `|`; no pattern: every file), then recorded with their
processing level and SHA-256 (streamed, for objects too).
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from polygear.sd2e.jobs import Job

CHUNK = 1 << 20


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(CHUNK), b""):
            digest.update(block)
    return "sha256:" + digest.hexdigest()


def select(folder: Path, filters: Sequence[str]) -> list[Path]:
    pattern = _matcher(filters)
    root = folder.resolve()
    # regular files inside the folder only: a symlink could point anywhere on the service's machine
    files = sorted(
        p for p in folder.rglob("*") if p.is_file() and not p.is_symlink() and p.resolve().is_relative_to(root)
    )
    return [p for p in files if pattern is None or pattern.search(p.name)]


def _matcher(filters: Sequence[str]) -> re.Pattern[str] | None:
    return re.compile("|".join(f"(?:{f})" for f in filters)) if filters else None


def _bucket_records(root: str, archive_path: str, filters: Sequence[str], level: str) -> list[dict[str, Any]]:
    from minio import Minio

    bucket, _, prefix = root.removeprefix("s3://").partition("/")
    endpoint = os.environ.get("POLYGEAR_JOBS_S3_ENDPOINT", "")
    if not endpoint:
        raise ValueError("POLYGEAR_JOBS_S3_ENDPOINT: expected the S3/MinIO endpoint URL for an s3:// archive root")
    parts = urlsplit(endpoint)
    client = Minio(
        parts.netloc,
        access_key=os.environ.get("POLYGEAR_JOBS_S3_ACCESS_KEY"),
        secret_key=os.environ.get("POLYGEAR_JOBS_S3_SECRET_KEY"),
        secure=parts.scheme == "https",
    )
    folder = "/".join(p for p in (prefix.strip("/"), archive_path.strip("/")) if p) + "/"
    pattern = _matcher(filters)
    records = []
    for item in client.list_objects(bucket, prefix=folder, recursive=True):
        name = str(item.object_name)
        relative = name[len(folder) :]
        if item.is_dir or not relative or (pattern is not None and not pattern.search(relative.rsplit("/", 1)[-1])):
            continue
        digest = hashlib.sha256()
        response = client.get_object(bucket, name)
        try:
            for block in response.stream(CHUNK):
                digest.update(block)
        finally:
            response.close()
            response.release_conn()
        checksum = "sha256:" + digest.hexdigest()
        records.append({"path": relative, "level": level, "checksum": checksum, "size": int(item.size or 0)})
    return sorted(records, key=lambda r: str(r["path"]))


def index_job(
    store: Any, job: Job, archive_root: str | None, filters: Sequence[str], level: str
) -> list[dict[str, Any]]:
    """Record the job's selected files (none when there is no archive root or folder); what was recorded."""
    if not archive_root:
        return []
    if archive_root.startswith("s3://"):
        records = _bucket_records(archive_root, job.archive_path, filters, level)
    else:
        folder = Path(archive_root) / job.archive_path.lstrip("/")
        if not folder.is_dir():
            return []
        records = [
            {"path": p.relative_to(folder).as_posix(), "level": level, "checksum": sha256(p), "size": p.stat().st_size}
            for p in select(folder, filters)
        ]
    store.record_files(job.uuid, records)
    return records
