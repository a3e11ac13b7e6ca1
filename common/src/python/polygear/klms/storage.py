"""MinIO staging with bounded memory: streamed downloads and multipart uploads.

Each object is streamed with one GET in 256 KiB reads (the KLMS template uses 32 KiB; urllib3 gets
slower again with 1 MiB reads) into a temporary file that is renamed when complete; several objects
download in parallel. Memory stays at about
(threads x 256 KiB) whatever the sizes. Byte-range splitting of one object was measured and dropped:
S3 servers that slice a stored object per range request (moto does) made it 10x slower.
Uploads use MinIO's multipart upload with a fixed part size and two parts in flight.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import urllib3
from minio import Minio
from minio.error import S3Error

from polygear.klms.task import MinioSettings, ObjectPath

READ_SIZE = 256 * 1024
PART_SIZE = 8 * 1024 * 1024
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


def _env_number(name: str, default: float) -> float:
    raw = os.environ.get(name, "")
    try:
        return float(raw) if raw else default
    except ValueError:
        return default


# Bounded network waits (the minio SDK's defaults are 300 s reads, retried 5 times: ~30 minutes
# against a server that accepts connections and never answers). Seconds; the environment
# variables override them (SECURITY.md).
CONNECT_TIMEOUT = _env_number("POLYGEAR_S3_CONNECT_TIMEOUT", 10)
READ_TIMEOUT = _env_number("POLYGEAR_S3_READ_TIMEOUT", 60)
RETRIES = int(_env_number("POLYGEAR_S3_RETRIES", 2))


class Unreachable(Exception):
    """The MinIO endpoint refused, dropped or did not answer in time (reported as 504)."""


def client(settings: MinioSettings) -> Minio:
    http = urllib3.PoolManager(
        timeout=urllib3.Timeout(connect=CONNECT_TIMEOUT, read=READ_TIMEOUT),
        retries=urllib3.Retry(total=RETRIES, backoff_factor=0.5, status_forcelist=(500, 502, 503, 504)),
        maxsize=THREADS + 2,
        cert_reqs="CERT_REQUIRED",
        ca_certs=os.environ.get("SSL_CERT_FILE"),  # else the system's CA store
    )
    return Minio(
        settings.endpoint,
        access_key=settings.access_key,
        secret_key=settings.secret_key,
        session_token=settings.session_token,
        secure=settings.secure,
        http_client=http,
    )


def unreachable(endpoint: str, exc: BaseException) -> Unreachable:
    """One line naming the endpoint and the limits, from urllib3's nested retry errors."""
    reason = getattr(exc, "reason", None) or exc
    return Unreachable(
        f"MinIO endpoint {endpoint} did not answer (connect timeout {CONNECT_TIMEOUT} s, read timeout "
        f"{READ_TIMEOUT} s, {RETRIES} retries): {type(reason).__name__}"
    )


def size_of(mc: Minio, path: ObjectPath) -> int:
    try:
        stat = mc.stat_object(path.bucket, path.key)
    except S3Error as exc:
        if exc.code in MISSING:
            raise MissingObject(path, exc.code) from None
        raise
    return int(stat.size or 0)


def download(mc: Minio, path: ObjectPath, dest: Path) -> int:
    """Download to `dest` via a temporary name; returns the size."""
    size = size_of(mc, path)
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".part-{uuid.uuid4().hex[:12]}")  # short: dest's name may be 255 bytes
    written = 0
    try:
        response = mc.get_object(path.bucket, path.key)
        try:
            with open(tmp, "wb") as fh:
                for chunk in response.stream(READ_SIZE):
                    fh.write(chunk)
                    written += len(chunk)
        finally:
            response.close()
            response.release_conn()
        if written != size:
            raise OSError(f"{path}: expected {size} bytes, received {written}")
        os.replace(tmp, dest)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return size


def download_all(mc: Minio, items: Iterable[tuple[ObjectPath, Path]], threads: int = THREADS) -> int:
    """Several objects at once (each streamed), bounded memory; returns the total bytes."""
    with ThreadPoolExecutor(max_workers=threads) as pool:
        return sum(pool.map(lambda item: download(mc, *item), list(items)))


def existing(mc: Minio, paths: Iterable[ObjectPath]) -> list[ObjectPath]:
    """Which of `paths` exist, with one listing per folder instead of one request per object
    (20,000 outputs took minutes one HEAD at a time)."""
    wanted = list(paths)
    folders: dict[tuple[str, str], set[str]] = {}
    for p in wanted:
        folders.setdefault((p.bucket, p.key.rpartition("/")[0]), set())
    for (bucket, folder), found in folders.items():
        try:
            for obj in mc.list_objects(bucket, prefix=f"{folder}/" if folder else "", recursive=False):
                found.add(str(obj.object_name))
        except S3Error as exc:
            if exc.code not in MISSING:
                raise
    return [p for p in wanted if p.key in folders[(p.bucket, p.key.rpartition("/")[0])]]


def upload_all(
    mc: Minio, items: Iterable[tuple[Path, ObjectPath]], started: list[ObjectPath], threads: int = THREADS
) -> int:
    """Several files at once (bounded pool); returns the total bytes. Each object is added to
    `started` before its upload begins, so that a caller can remove exactly what this run touched."""

    def one(item: tuple[Path, ObjectPath]) -> int:
        started.append(item[1])
        return upload(mc, *item)

    with ThreadPoolExecutor(max_workers=threads) as pool:
        return sum(pool.map(one, list(items)))


def upload(mc: Minio, src: Path, path: ObjectPath) -> int:
    size = src.stat().st_size
    mc.fput_object(path.bucket, path.key, str(src), part_size=PART_SIZE, num_parallel_uploads=2)
    return size


def remove(mc: Minio, paths: Iterable[ObjectPath]) -> None:
    for p in paths:
        with contextlib.suppress(S3Error, urllib3.exceptions.HTTPError):  # best effort: this run's objects
            mc.remove_object(p.bucket, p.key)
