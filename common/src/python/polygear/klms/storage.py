"""MinIO staging with bounded memory: parallel ranged downloads and multipart uploads.

The KLMS template streams each object with `get_object` in 32 KiB reads on one connection. Here an
object is fetched as several byte ranges on parallel connections, each streamed in 1 MiB reads
and written at its offset (`os.pwrite`), so memory stays at (threads x 1 MiB) whatever the size.
Uploads use MinIO's multipart upload with a fixed part size and a bounded number of parallel parts.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from minio import Minio
from minio.error import S3Error

from polygear.klms.task import MinioSettings, ObjectPath

READ_SIZE = 1024 * 1024
RANGE_SIZE = 32 * 1024 * 1024
PART_SIZE = 16 * 1024 * 1024
THREADS = 4
MISSING = {"NoSuchKey", "NoSuchBucket", "NoSuchObject"}


class MissingObject(Exception):
    def __init__(self, path: ObjectPath, code: str) -> None:
        super().__init__(f"{path}: {code}")
        self.path, self.code = path, code


@dataclass
class Transfer:
    bytes_read: int = 0
    bytes_written: int = 0


def client(settings: MinioSettings) -> Minio:
    return Minio(
        settings.endpoint,
        access_key=settings.access_key,
        secret_key=settings.secret_key,
        session_token=settings.session_token,
        secure=settings.secure,
    )


def size_of(mc: Minio, path: ObjectPath) -> int:
    try:
        stat = mc.stat_object(path.bucket, path.key)
    except S3Error as exc:
        if exc.code in MISSING:
            raise MissingObject(path, exc.code) from None
        raise
    return int(stat.size or 0)


def exists(mc: Minio, path: ObjectPath) -> bool:
    try:
        size_of(mc, path)
    except MissingObject:
        return False
    return True


def _fetch_range(mc: Minio, path: ObjectPath, fd: int, offset: int, length: int) -> None:
    response = mc.get_object(path.bucket, path.key, offset=offset, length=length)
    try:
        pos = offset
        for chunk in response.stream(READ_SIZE):
            os.pwrite(fd, chunk, pos)
            pos += len(chunk)
        if pos != offset + length:
            raise OSError(f"{path}: short read at {pos} of range {offset}+{length}")
    finally:
        response.close()
        response.release_conn()


def download(mc: Minio, path: ObjectPath, dest: Path, pool: ThreadPoolExecutor | None = None) -> int:
    """Download to `dest` via a temporary name; returns the size."""
    size = size_of(mc, path)
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".{dest.name}.part")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        os.ftruncate(fd, size)
        ranges = [(off, min(RANGE_SIZE, size - off)) for off in range(0, size, RANGE_SIZE)]
        if len(ranges) <= 1 or pool is None:
            for off, length in ranges:
                _fetch_range(mc, path, fd, off, length)
        else:
            for fut in [pool.submit(_fetch_range, mc, path, fd, off, length) for off, length in ranges]:
                fut.result()
    except BaseException:
        os.close(fd)
        tmp.unlink(missing_ok=True)
        raise
    os.close(fd)
    os.replace(tmp, dest)
    return size


def download_all(mc: Minio, items: Iterable[tuple[ObjectPath, Path]], threads: int = THREADS) -> int:
    """Objects one after another, each split over `threads` connections (bounded memory)."""
    total = 0
    with ThreadPoolExecutor(max_workers=threads) as pool:
        for path, dest in items:
            total += download(mc, path, dest, pool)
    return total


def upload(mc: Minio, src: Path, path: ObjectPath) -> int:
    size = src.stat().st_size
    mc.fput_object(path.bucket, path.key, str(src), part_size=PART_SIZE, num_parallel_uploads=2)
    return size


def remove(mc: Minio, paths: Iterable[ObjectPath]) -> None:
    for p in paths:
        try:
            mc.remove_object(p.bucket, p.key)
        except S3Error:
            pass
