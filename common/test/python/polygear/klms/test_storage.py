"""KLMS staging (polygear.klms.storage) against a real S3 server (moto) on loopback: what the
streamed transfers must keep from the SDK's (errors, nothing half-written, no secret in a log)."""

from __future__ import annotations

import errno
import gzip
import io
import logging
import os
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import urllib3
from minio.error import S3Error, ServerError

from polygear.core import redact
from polygear.klms import storage
from polygear.klms.task import ObjectPath
from polygear.testing.klms import minio_client, s3_server

MiB = 1024 * 1024


@pytest.fixture(scope="module")
def s3() -> Iterator[str]:
    with s3_server() as url:
        minio_client(url).make_bucket("stage")
        yield url


@pytest.fixture
def small_parts(monkeypatch: pytest.MonkeyPatch) -> None:
    """Streamed PUTs from 1 MiB on, so that the tests' files stay small."""
    monkeypatch.setattr(storage, "PART_SIZE", MiB)


def write(path: Path, size: int) -> bytes:
    data = os.urandom(size)
    path.write_bytes(data)
    return data


def fetch(url: str, key: str) -> bytes:
    resp = minio_client(url).get_object("stage", key)
    try:
        return bytes(resp.read(decode_content=False))
    finally:
        resp.close()
        resp.release_conn()


def test_a_file_larger_than_a_part_is_one_streamed_put(s3: str, tmp_path: Path, small_parts: None) -> None:
    data = write(tmp_path / "big.bin", 3 * MiB + 17)
    assert storage.upload(minio_client(s3), tmp_path / "big.bin", ObjectPath("stage", "up/big.bin")) == len(data)
    assert fetch(s3, "up/big.bin") == data
    stat = minio_client(s3).stat_object("stage", "up/big.bin")
    assert "-" not in str(stat.etag)  # one PUT, not a multipart upload
    assert stat.content_type == "application/octet-stream"  # as the SDK's fput_object sets it


def test_small_files_and_files_over_the_put_limit_go_through_the_sdk(
    s3: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    mc = minio_client(s3)
    small = write(tmp_path / "small.bin", 1000)
    storage.upload(mc, tmp_path / "small.bin", ObjectPath("stage", "up/small.bin"))
    assert fetch(s3, "up/small.bin") == small
    monkeypatch.setattr(storage, "PART_SIZE", 5 * MiB)  # S3's smallest part
    monkeypatch.setattr(storage, "SINGLE_PUT_MAX", 6 * MiB)
    large = write(tmp_path / "large.bin", 11 * MiB)
    storage.upload(mc, tmp_path / "large.bin", ObjectPath("stage", "up/large.bin"))
    assert fetch(s3, "up/large.bin") == large
    assert str(mc.stat_object("stage", "up/large.bin").etag).endswith("-3")  # parts


def test_a_streamed_put_to_a_missing_bucket_is_the_sdks_error(s3: str, tmp_path: Path, small_parts: None) -> None:
    write(tmp_path / "big.bin", 2 * MiB)
    with pytest.raises(S3Error) as caught:
        storage.upload(minio_client(s3), tmp_path / "big.bin", ObjectPath("nowhere", "big.bin"))
    assert caught.value.code == "NoSuchBucket"
    assert "\n" not in str(caught.value)


def test_a_file_that_shrinks_during_its_upload_stops_it_and_leaves_no_object(s3: str, tmp_path: Path) -> None:
    write(tmp_path / "big.bin", 2 * MiB)
    with pytest.raises(storage.SourceChanged, match="shrank during its upload: 2097152 of 3145728 bytes"):
        storage.put_streamed(minio_client(s3), tmp_path / "big.bin", ObjectPath("stage", "up/shrunk.bin"), 3 * MiB)
    assert list(minio_client(s3).list_objects("stage", prefix="up/shrunk")) == []


def test_a_file_that_grows_is_cut_at_its_size_when_the_upload_started(s3: str, tmp_path: Path) -> None:
    data = write(tmp_path / "big.bin", 2 * MiB)
    storage.put_streamed(minio_client(s3), tmp_path / "big.bin", ObjectPath("stage", "up/cut.bin"), MiB)
    assert fetch(s3, "up/cut.bin") == data[:MiB]


def test_the_presigned_signature_never_reaches_a_log(s3: str, tmp_path: Path, small_parts: None) -> None:
    write(tmp_path / "big.bin", 2 * MiB)
    mc = minio_client(s3)
    urls: list[str] = []
    presign = mc.presigned_put_object

    def remembered(*args: Any, **kwargs: Any) -> str:
        urls.append(presign(*args, **kwargs))
        return urls[-1]

    mc.presigned_put_object = remembered  # type: ignore[method-assign]
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(redact.RedactingFilter())
    wire = logging.getLogger("urllib3")
    wire.addHandler(handler)
    level = wire.level
    wire.setLevel(logging.DEBUG)  # urllib3 logs each request's URL, query included
    try:
        storage.upload(mc, tmp_path / "big.bin", ObjectPath("stage", "up/logged.bin"))
    finally:
        wire.removeHandler(handler)
        wire.setLevel(level)
    text = stream.getvalue()
    assert "PUT /stage/up/logged.bin?" in text  # the request was logged...
    signature = storage._url_secrets(urls[0])[0]
    assert len(signature) == 64 and signature not in text  # ...without its signature
    assert redact.MASK in text


class _FlakyServer:
    """Answers PUTs with `statuses` in turn (then 200), each after reading its body; keeps the bodies.
    Stands for the SDK too: it presigns its own URL."""

    def __init__(self, *statuses: int) -> None:
        self.bodies: list[bytes] = []
        self.statuses = list(statuses)
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_PUT(self) -> None:
                outer.bodies.append(self.rfile.read(int(self.headers["Content-Length"])))
                status = outer.statuses.pop(0) if outer.statuses else 200
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/stage/key?X-Amz-Signature={'ab' * 32}"

    def presigned_put_object(self, bucket: str, key: str, expires: Any) -> str:
        return self.url


def test_a_streamed_put_is_retried_with_its_whole_body(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(storage, "RETRIES", 1)
    data = write(tmp_path / "big.bin", 3 * MiB + 5)
    fake = _FlakyServer(503)
    thread = threading.Thread(target=fake.server.serve_forever, daemon=True)
    thread.start()
    try:
        storage.put_streamed(fake, tmp_path / "big.bin", ObjectPath("stage", "key"), len(data))  # type: ignore[arg-type]
    finally:
        fake.server.shutdown()
        fake.server.server_close()
    assert fake.bodies == [data, data]


@pytest.mark.parametrize("status", [403, 503])
def test_a_refused_streamed_put_is_one_line_without_the_signature(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, status: int
) -> None:
    monkeypatch.setattr(storage, "RETRIES", 0)
    write(tmp_path / "big.bin", 10)
    fake = _FlakyServer(status)
    thread = threading.Thread(target=fake.server.serve_forever, daemon=True)
    thread.start()
    try:
        with pytest.raises((ServerError, urllib3.exceptions.MaxRetryError)) as caught:
            storage.put_streamed(fake, tmp_path / "big.bin", ObjectPath("stage", "key"), 10)  # type: ignore[arg-type]
    finally:
        fake.server.shutdown()
        fake.server.server_close()
    # 403 without an error document: the SDK's ServerError; 503 with no retry left: urllib3's
    # MaxRetryError, which the adapter reports as an endpoint that did not answer.
    assert isinstance(caught.value, ServerError if status == 403 else urllib3.exceptions.MaxRetryError)
    message = str(caught.value)
    assert "\n" not in message and "X-Amz-Signature" not in message and "ab" * 32 not in message


def test_downloads_round_trip_through_a_temporary_name(s3: str, tmp_path: Path) -> None:
    data = os.urandom(3 * MiB + 1)
    minio_client(s3).put_object("stage", "in/big.bin", io.BytesIO(data), len(data))
    minio_client(s3).put_object("stage", "in/empty.bin", io.BytesIO(b""), 0)
    dest = tmp_path / "in" / "big.bin"
    total = storage.download_all(
        minio_client(s3),
        [(ObjectPath("stage", "in/big.bin"), dest), (ObjectPath("stage", "in/empty.bin"), tmp_path / "in" / "empty")],
    )
    assert total == len(data) and dest.read_bytes() == data and (tmp_path / "in" / "empty").read_bytes() == b""
    assert sorted(p.name for p in (tmp_path / "in").iterdir()) == ["big.bin", "empty"]


def test_an_encoded_object_is_staged_as_stored(s3: str, tmp_path: Path) -> None:
    """A Content-Encoding: gzip object is the gzip bytes the server holds (and its size), not a
    decompression of them that would not match the size the server announced."""
    stored = gzip.compress(b"a,b\n1,2\n" * 1000)
    minio_client(s3).put_object(
        "stage", "in/data.csv.gz", io.BytesIO(stored), len(stored), metadata={"Content-Encoding": "gzip"}
    )
    dest = tmp_path / "data.csv.gz"
    assert storage.download(minio_client(s3), ObjectPath("stage", "in/data.csv.gz"), dest) == len(stored)
    assert dest.read_bytes() == stored


def test_a_missing_object_is_named_and_leaves_nothing(s3: str, tmp_path: Path) -> None:
    for path in (ObjectPath("stage", "in/none.bin"), ObjectPath("nobucket", "in/none.bin")):
        with pytest.raises(storage.MissingObject) as caught:
            storage.download(minio_client(s3), path, tmp_path / "in" / "none.bin")
        assert str(caught.value) == f"{path}: {'NoSuchKey' if path.bucket == 'stage' else 'NoSuchBucket'}"
    assert not (tmp_path / "in").exists()


def test_a_full_disk_stops_a_download_before_its_body_and_leaves_nothing(
    s3: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    minio_client(s3).put_object("stage", "in/full.bin", io.BytesIO(b"x" * 1000), 1000)

    def full(fd: int, offset: int, size: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "posix_fallocate", full)
    with pytest.raises(OSError, match="No space left"):
        storage.download(minio_client(s3), ObjectPath("stage", "in/full.bin"), tmp_path / "in" / "full.bin")
    assert list((tmp_path / "in").iterdir()) == []


def test_a_file_system_that_cannot_allocate_ahead_still_downloads(
    s3: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    minio_client(s3).put_object("stage", "in/nofalloc.bin", io.BytesIO(b"y" * 1000), 1000)

    def unsupported(fd: int, offset: int, size: int) -> None:
        raise OSError(errno.EOPNOTSUPP, os.strerror(errno.EOPNOTSUPP))

    monkeypatch.setattr(os, "posix_fallocate", unsupported)
    dest = tmp_path / "nofalloc.bin"
    assert storage.download(minio_client(s3), ObjectPath("stage", "in/nofalloc.bin"), dest) == 1000
    assert dest.read_bytes() == b"y" * 1000
