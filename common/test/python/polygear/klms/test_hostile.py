"""Hostile task inputs and environments for the KLMS adapter: each must fail cleanly, in one line,
with nothing left behind (no objects, no temporary data), and never leak a secret."""

from __future__ import annotations

import io
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from polygear.core.run import RunContext
from polygear.core.signals import Cancelled
from polygear.klms import api, storage
from polygear.klms.adapter import run_klms
from polygear.testing.klms import minio_block, minio_client, s3_server, stelar_task_output_errors

MANIFEST = Path(__file__).resolve().parents[3] / "data" / "klms" / "manifest.json"
NESTED_SECRET = 'line-one\r\nline-two "quoted" p@ss/word?x=1'


def upper(ctx: RunContext) -> dict[str, Any]:
    text = ctx.require_input("text").read_text()
    (ctx.output_dir / "result.upper").write_text(text.upper())
    (ctx.output_dir / ".hidden.upper").write_text("dot")
    (ctx.output_dir / "run.log").write_text("ok")
    return {"chars": len(text)}


@pytest.fixture(scope="module")
def s3() -> Iterator[str]:
    with s3_server() as url:
        minio_client(url).make_bucket("data")
        yield url


def put(url: str, key: str, data: bytes) -> None:
    minio_client(url).put_object("data", key, io.BytesIO(data), len(data))


def keys(url: str, prefix: str) -> list[str]:
    return sorted(o.object_name for o in minio_client(url).list_objects("data", prefix=prefix, recursive=True))


def task(url: str, key: str, out: str, **extra: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "inputs": {"text": [f"data/{key}"]},
        "outputs": {"upper": out},
        "parameters": {},
        "minio": minio_block(url),
    }
    doc.update(extra)
    return doc


def run(tmp: Path, doc: dict[str, Any], compute: Any = upper) -> tuple[int, dict[str, Any]]:
    (tmp / "in.json").write_text(json.dumps(doc))
    code = run_klms(compute, MANIFEST, tmp / "in.json", tmp / "out.json")
    out = json.loads((tmp / "out.json").read_text())
    assert stelar_task_output_errors(out) == {}
    return code, out


def test_nested_and_multiline_secrets_are_masked_in_every_rendering(
    s3: str, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    put(s3, "in/secret.txt", b"x")

    def leaky(ctx: RunContext) -> None:
        logging.getLogger("lib").warning("repr %r json %s", NESTED_SECRET, json.dumps(NESTED_SECRET))
        raise RuntimeError(f"failed with {NESTED_SECRET!r} in https://h/?k={NESTED_SECRET}")

    doc = task(s3, "in/secret.txt", "data/out/secret/", secrets={"api": {"nested": [NESTED_SECRET]}})
    code, out = run(tmp_path, doc, leaky)
    assert (code, out["status"]) == (1, 500)
    seen = capfd.readouterr()
    from urllib.parse import quote, quote_plus

    text = seen.out + seen.err + json.dumps(out) + (tmp_path / "out.json").read_text()
    for form in (
        NESTED_SECRET,
        repr(NESTED_SECRET)[1:-1],
        json.dumps(NESTED_SECRET)[1:-1],
        quote(NESTED_SECRET, safe=""),
    ):
        assert form not in text
    assert quote_plus(NESTED_SECRET) not in text
    assert "***" in out["message"]


def test_overwrite_must_be_a_json_boolean(s3: str, tmp_path: Path) -> None:
    put(s3, "in/ow.txt", b"a")
    put(s3, "out/ow.upper", b"old")
    code, out = run(tmp_path, task(s3, "in/ow.txt", "data/out/ow.upper", overwrite="false"))
    assert (code, out["status"]) == (1, 400)
    assert out["message"] == "overwrite: expected a boolean (true/false), found 'false'"
    assert minio_client(s3).get_object("data", "out/ow.upper").read() == b"old"


def test_dot_files_matched_by_a_group_are_uploaded(s3: str, tmp_path: Path) -> None:
    put(s3, "in/dot.txt", b"d")
    code, out = run(tmp_path, task(s3, "in/dot.txt", "data/out/dot/"))
    assert (code, out["outputs"]) == (0, {"upper": "data/out/dot/"})
    assert keys(s3, "out/dot/") == ["out/dot/.hidden.upper", "out/dot/result.upper"]
    assert out["metrics"]["output_files"]["upper"] == ["data/out/dot/.hidden.upper", "data/out/dot/result.upper"]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("endpoint", "http://127.0.0.1:9/path?x=1", "minio.endpoint_url: expected only host[:port]"),
        ("endpoint", "ftp://127.0.0.1:21", "minio.endpoint_url: the scheme must be http or https"),
        ("endpoint", "http://127.0.0.1:99999", "minio.endpoint_url: the port must be a number from 1 to 65535"),
        ("output", "data/out/../../etc/x", "outputs.upper: object key has a '.' or '..' segment"),
        ("output", "Bad_Bucket/x", "outputs.upper: expected an S3 bucket name"),
        ("input", "data/in/\x00x", "inputs.text[0]: object key contains a control character"),
    ],
)
def test_bad_endpoints_and_keys_are_400_before_any_work(
    s3: str, tmp_path: Path, field: str, value: str, message: str
) -> None:
    called: list[int] = []

    def compute(ctx: RunContext) -> None:
        called.append(1)

    doc = task(s3, "in/never.txt", "data/out/never.upper")
    if field == "endpoint":
        doc["minio"]["endpoint_url"] = value
    elif field == "output":
        doc["outputs"]["upper"] = value
    else:
        doc["inputs"]["text"] = [value]
    code, out = run(tmp_path, doc, compute)
    assert (code, out["status"], called) == (1, 400, [])
    assert out["message"].startswith(message), out["message"]


def test_task_ids_and_signatures_are_one_encoded_path_segment_each() -> None:
    url = api.task_url("http://klms.example/", "../../../admin/x", "t1?x=", "input")
    assert url == "http://klms.example/api/v2/task/..%2F..%2F..%2Fadmin%2Fx/t1%3Fx%3D/input"
    with pytest.raises(api.ApiError, match="task id: expected a non-empty value without control characters"):
        api.task_url("http://klms.example", "t1\r\nHost: evil", "sig", "input")


def test_output_json_in_a_missing_folder_is_refused_before_any_work(s3: str, tmp_path: Path) -> None:
    put(s3, "in/nowhere.txt", b"n")
    (tmp_path / "in.json").write_text(json.dumps(task(s3, "in/nowhere.txt", "data/out/nowhere/")))
    code = run_klms(upper, MANIFEST, tmp_path / "in.json", tmp_path / "missing" / "out.json")
    assert code == 1
    assert keys(s3, "out/nowhere/") == []


def test_a_silent_minio_endpoint_fails_in_bounded_time(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)  # accepts connections, never answers
    monkeypatch.setattr(storage, "READ_TIMEOUT", 1.0)
    monkeypatch.setattr(storage, "RETRIES", 0)
    doc = task("http://x", "in/t.txt", "data/out/t.upper")
    doc["minio"]["endpoint_url"] = f"http://127.0.0.1:{silent.getsockname()[1]}"
    started = time.monotonic()
    try:
        code, out = run(tmp_path, doc)
    finally:
        silent.close()
    assert time.monotonic() - started < 30
    assert (code, out["status"]) == (1, 504)
    assert out["message"].startswith(
        f"MinIO endpoint 127.0.0.1:{doc['minio']['endpoint_url'].rsplit(':', 1)[1]} did not"
    )


def test_an_upload_stopped_by_a_signal_removes_what_this_run_uploaded(
    s3: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    put(s3, "in/sig.txt", b"s")
    real_upload = storage.upload
    calls: list[int] = []

    def upload_then_stop(mc: Any, src: Path, path: Any) -> int:
        calls.append(1)
        if len(calls) == 2:
            raise Cancelled(signal.SIGTERM)
        return real_upload(mc, src, path)

    monkeypatch.setattr(storage, "upload", upload_then_stop)
    code, out = run(tmp_path, task(s3, "in/sig.txt", "data/out/sig/"))
    assert code == 143 and out["status"] == 500
    assert out["message"].startswith("tool cancelled by SIGTERM")
    assert keys(s3, "out/sig/") == []


def test_sigterm_during_the_computation_reports_and_cleans_up(s3: str, tmp_path: Path) -> None:
    """The real signal, delivered to a real process running the adapter."""
    put(s3, "in/slow.txt", b"slow")
    (tmp_path / "in.json").write_text(json.dumps(task(s3, "in/slow.txt", "data/out/slow/")))
    script = tmp_path / "slow_tool.py"
    script.write_text(
        "import sys, time\n"
        "from pathlib import Path\n"
        "from polygear.klms.adapter import run_klms\n"
        "def slow(ctx):\n"
        "    (ctx.output_dir / 'part.upper').write_text('x')\n"
        "    print('computing', flush=True)\n"
        "    time.sleep(60)\n"
        f"sys.exit(run_klms(slow, Path({str(MANIFEST)!r}), Path(sys.argv[1]), Path(sys.argv[2])))\n"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path), "TMPDIR": str(tmp_path)}
    proc = subprocess.Popen(
        [sys.executable, str(script), str(tmp_path / "in.json"), str(tmp_path / "out.json")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "computing"
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 143, err
    out = json.loads((tmp_path / "out.json").read_text())
    assert out["status"] == 500 and out["message"].startswith("tool cancelled by SIGTERM")
    assert not list(tmp_path.glob("polygear-klms-*"))  # the task's temporary data
    assert keys(s3, "out/slow/") == []
