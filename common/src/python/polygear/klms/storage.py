"""MinIO staging with bounded memory: streamed downloads and streamed uploads.

Downloads: one GET per object, read in 1 MiB blocks with `read(decode_content=False)` into a
temporary file (its blocks allocated first) renamed when complete; several objects download in
parallel. Memory stays at about (threads x 1 MiB) whatever the sizes. Measured on moto
(common/bench/bench_staging.py, 512 MB): the KLMS template's `stream(32 KiB)` costs ~0.5 s of CPU
in per-chunk Python; 1 MiB raw reads ~0.2 s, which is the socket and file copies themselves.
urllib3's decoding read (the default) costs ~0.8 s with 1 MiB reads, most of it in the kernel, and
the raw bytes are what the server stores anyway (a Content-Encoding: gzip object is staged as
stored, its size checked against Content-Length). Measured and dropped: byte-range splitting of
one object (2x slower: moto, like other simple S3 servers, reads the whole object for each range
request) and a reader thread feeding a writer thread (slower on two cores).

Uploads: a file up to 5 GiB (S3's single PUT limit) and larger than one part is sent as one
streamed PUT of the file itself, in 1 MiB blocks, to a presigned URL: no part is held in memory,
and the server stores the object once, whereas a multipart upload (the template's `put_object`,
three 5 MiB parts in flight) makes moto write every byte twice (the parts, then the object it
assembles from them on completion). The payload is not hashed (presigned URLs sign none): its
integrity in transit rests on TCP, and TLS for https endpoints, where the SDK's parts carried a
SHA-256 (http) or a Content-MD5 (https) that the server checked. Hashing would cost 0.3 s
(SHA-256) to 0.75 s (MD5) of CPU per 512 MB before the first byte is sent, most of the gain. The
presigned URL's signature and credential are registered with `polygear.core.redact`, so that no
log line or message shows them. Small files (one part) and files over 5 GiB go through the SDK
as before (one in-memory PUT; parallel multipart).
"""

from __future__ import annotations

import contextlib
import errno
import os
import uuid
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import BinaryIO, cast
from urllib.parse import parse_qs, urlsplit
from xml.etree import ElementTree

import urllib3
from minio import Minio
from minio.error import S3Error, ServerError

from polygear.core import redact
from polygear.klms.task import MinioSettings, ObjectPath

READ_SIZE = 1024 * 1024  # per GET read; 4 MiB reads were slower (each one a fresh mmap'd buffer)
SEND_BLOCK = 1024 * 1024  # per socket send of a streamed PUT (http.client's default is 8-16 KiB)
PART_SIZE = 8 * 1024 * 1024  # files up to this size: one in-memory PUT through the SDK
SINGLE_PUT_MAX = 5 * 1024**3  # S3's limit for one PUT; larger files are uploaded in parts
MAX_PARTS = 10_000  # S3's limit on the number of parts of one multipart upload
THREADS = 4
MISSING = {"NoSuchKey", "NoSuchBucket", "NoSuchObject"}


class MissingObject(Exception):
    def __init__(self, path: ObjectPath, code: str) -> None:
        super().__init__(f"{path}: {code}")
        self.path, self.code = path, code


class SourceChanged(RuntimeError):
    """A file being uploaded became shorter than its size when the upload started.

    Not an OSError on purpose: urllib3 takes an OSError raised while sending for a network failure,
    retries, and would report an unreachable endpoint instead."""


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


def _pool(maxsize: int) -> urllib3.PoolManager:
    """The HTTP connections of the SDK and of streamed PUTs alike: bounded timeouts and retries,
    verified TLS. Built when called, so that the limits in force (tests lower them) apply."""
    return urllib3.PoolManager(
        timeout=urllib3.Timeout(connect=CONNECT_TIMEOUT, read=READ_TIMEOUT),
        retries=urllib3.Retry(total=RETRIES, backoff_factor=0.5, status_forcelist=(500, 502, 503, 504)),
        maxsize=maxsize,
        blocksize=SEND_BLOCK,
        cert_reqs="CERT_REQUIRED",
        ca_certs=os.environ.get("SSL_CERT_FILE"),  # else the system's CA store
    )


def client(settings: MinioSettings) -> Minio:
    return Minio(
        settings.endpoint,
        access_key=settings.access_key,
        secret_key=settings.secret_key,
        session_token=settings.session_token,
        secure=settings.secure,
        http_client=_pool(THREADS + 2),
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


def _open_object(mc: Minio, path: ObjectPath) -> urllib3.BaseHTTPResponse:
    """The GET response, its body unread; a missing bucket or key is a MissingObject, as from
    `size_of` (no HEAD first: one request per object instead of two, which counts with many
    small inputs)."""
    try:
        return mc.get_object(path.bucket, path.key)
    except S3Error as exc:
        if exc.code in MISSING:
            raise MissingObject(path, exc.code) from None
        raise


def _reserve(fd: int, size: int) -> None:
    """Allocate the file's blocks before writing them, so that a full disk fails here, before any
    byte is fetched, instead of after most of them. On ext4 this takes a millisecond and measured
    no slower (the body of a 512 MB GET in 0.16 s instead of 0.21-0.30 s over 12 runs; equal
    within the machine's noise at 1 GB). Where the file system cannot allocate ahead, the C
    library writes one byte per block instead, and an error other than a full disk is ignored."""
    if size <= 0:
        return
    try:
        os.posix_fallocate(fd, 0, size)
    except OSError as exc:
        if exc.errno == errno.ENOSPC:
            raise
        # EOPNOTSUPP, EINVAL...: the writes allocate as they go


def download(mc: Minio, path: ObjectPath, dest: Path) -> int:
    """Download to `dest` via a temporary name; returns the size."""
    response = _open_object(mc, path)
    tmp = dest.with_name(f".part-{uuid.uuid4().hex[:12]}")  # short: dest's name may be 255 bytes
    written = 0
    try:
        try:
            length = response.headers.get("Content-Length", "")
            announced = int(length) if length.isdigit() else None  # the stored size: the body is read raw
            dest.parent.mkdir(parents=True, exist_ok=True)
            with open(tmp, "wb") as fh:
                if announced:
                    _reserve(fh.fileno(), announced)
                while chunk := response.read(READ_SIZE, decode_content=False):
                    fh.write(chunk)
                    written += len(chunk)
        finally:
            response.close()
            response.release_conn()
        size = announced if announced is not None else size_of(mc, path)
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
    """Upload `src` as one streamed PUT when it is larger than a part and within S3's single-PUT
    limit, else through the SDK (see the module's docstring for why); returns the size."""
    size = src.stat().st_size
    if PART_SIZE < size <= SINGLE_PUT_MAX:
        put_streamed(mc, src, path, size)
        return size
    # Parts grow past PART_SIZE only where 10,000 of them would not hold the file (over 80 GB).
    part_size = max(PART_SIZE, -(-size // MAX_PARTS))
    mc.fput_object(path.bucket, path.key, str(src), part_size=part_size, num_parallel_uploads=2)
    return size


class _Exactly:
    """The first `size` bytes of an open file as a request body, read in whatever blocks the HTTP
    client asks for. A file that grew is cut at `size` (what the request's Content-Length says); one
    that shrank stops the upload. `tell`/`seek` let urllib3 rewind the body for a retry."""

    def __init__(self, fh: BinaryIO, size: int, src: Path) -> None:
        self._fh, self._size, self._left, self._src = fh, size, size, src

    def read(self, n: int = -1) -> bytes:
        if self._left <= 0:
            return b""
        data = self._fh.read(self._left if n is None or n < 0 else min(n, self._left))
        if not data:
            raise SourceChanged(
                f"{self._src} shrank during its upload: {self._size - self._left} of {self._size} bytes were read"
            )
        self._left -= len(data)
        return data

    def tell(self) -> int:
        return self._size - self._left

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        position = self._fh.seek(offset, whence)
        self._left = self._size - position
        return position


def _url_secrets(url: str) -> list[str]:
    """What in a presigned URL grants access: the signature, the credential (its access key) and
    any session token."""
    query = parse_qs(urlsplit(url).query)
    return [v for k in ("X-Amz-Signature", "X-Amz-Credential", "X-Amz-Security-Token") for v in query.get(k, [])]


def put_streamed(mc: Minio, src: Path, path: ObjectPath, size: int) -> None:
    """One PUT whose body is the file itself, streamed from disk in SEND_BLOCK blocks (memory stays
    at one block), to a URL presigned by the SDK: its public API has no streamed single PUT (its
    `put_object` reads each part into memory to hash it).

    Failures read as the SDK's: an S3 error document raises S3Error, another refusal ServerError,
    a network failure urllib3's MaxRetryError (without the URL's query, which holds the signature).
    The URL stays valid for 15 minutes plus one second per MB, so that a retry after a slow first
    attempt is still signed; S3 checks the expiry when a request starts, not when it ends.
    """
    expires = timedelta(seconds=min(7 * 86400, 900 + size // 1_000_000))
    url = mc.presigned_put_object(path.bucket, path.key, expires=expires)
    redact.register(_url_secrets(url))
    http = _pool(1)
    try:
        with open(src, "rb") as fh:
            try:
                response = http.request(
                    "PUT",
                    url,
                    body=cast(BinaryIO, _Exactly(fh, size, src)),  # urllib3 only calls read/tell/seek
                    headers={"Content-Length": str(size), "Content-Type": "application/octet-stream"},
                    redirect=False,
                )
            except urllib3.exceptions.MaxRetryError as exc:
                raise urllib3.exceptions.MaxRetryError(exc.pool, urlsplit(url).path, exc.reason) from None
    finally:
        http.clear()
    if not 200 <= response.status < 300:
        if response.data and "xml" in response.headers.get("Content-Type", ""):
            with contextlib.suppress(ElementTree.ParseError):
                raise S3Error.fromxml(response)
        raise ServerError(f"server failed with HTTP status code {response.status}", response.status)


def remove(mc: Minio, paths: Iterable[ObjectPath]) -> None:
    for p in paths:
        with contextlib.suppress(S3Error, urllib3.exceptions.HTTPError):  # best effort: this run's objects
            mc.remove_object(p.bucket, p.key)
