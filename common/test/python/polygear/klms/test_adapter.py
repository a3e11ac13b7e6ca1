"""The KLMS adapter against a real S3 server (moto) on loopback, through the minio SDK."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from polygear.core.errors import InputError
from polygear.core.run import RunContext
from polygear.klms.adapter import run_klms
from polygear.testing.klms import minio_block, minio_client, s3_server, stelar_task_output_errors

MANIFEST = Path(__file__).resolve().parents[3] / "data" / "klms" / "manifest.json"
SECRET = "klms-secret-api-key-77"


def upper(ctx: RunContext) -> dict[str, Any]:
    text = ctx.require_input("text").read_text()
    if "FAIL" in text:
        raise RuntimeError("tool blew up")
    if "BAD" in text:
        raise InputError("text.txt:1", "expected good text, found BAD")
    logging.getLogger("tool").info("using secret %s", SECRET)
    (ctx.output_dir / "result.upper").write_text(text.upper() * ctx.config["repeat"])
    (ctx.output_dir / "run.log").write_text("ok")
    return {"chars": len(text)}


@pytest.fixture(scope="module")
def s3() -> Iterator[str]:
    with s3_server() as url:
        mc = minio_client(url)
        mc.make_bucket("data")
        yield url


def put(url: str, key: str, data: bytes) -> None:
    minio_client(url).put_object("data", key, io.BytesIO(data), len(data))


def get(url: str, key: str) -> bytes | None:
    mc = minio_client(url)
    try:
        resp = mc.get_object("data", key)
    except Exception:
        return None
    try:
        return bytes(resp.read())
    finally:
        resp.close()
        resp.release_conn()


def task(url: str, key: str, out: str, **extra: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "inputs": {"text": [f"s3://data/{key}"]},
        "outputs": {"upper": out, "log": f"data/logs/{key}/"},
        "parameters": {"repeat": 2},
        "secrets": {"api_key": SECRET},
        "minio": minio_block(url),
    }
    doc.update(extra)
    return doc


def run(tmp: Path, doc: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    (tmp / "in.json").write_text(json.dumps(doc))
    code = run_klms(upper, MANIFEST, tmp / "in.json", tmp / "out.json")
    return code, json.loads((tmp / "out.json").read_text())


def test_success_stages_in_and_out(s3: str, tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    put(s3, "in/a.txt", b"hello")
    code, out = run(tmp_path, task(s3, "in/a.txt", "data/out/a.upper"))
    assert code == 0, out
    assert out["status"] == "success"
    assert out["outputs"] == {"upper": "data/out/a.upper", "log": "data/logs/in/a.txt/"}
    assert out["metrics"]["output_files"] == {"upper": ["data/out/a.upper"], "log": ["data/logs/in/a.txt/run.log"]}
    assert stelar_task_output_errors(out) == {}
    assert get(s3, "out/a.upper") == b"HELLOHELLO"
    metrics = out["metrics"]
    assert metrics["bytes_read"] == 5 and metrics["bytes_written"] == 10 + 2
    assert metrics["chars"] == 5 and metrics["wall_seconds"] >= 0 and metrics["peak_rss_mb"] > 0
    logs = capfd.readouterr()
    for secret in (SECRET, minio_block(s3)["key"], minio_block(s3)["id"]):
        assert secret not in logs.out + logs.err
        assert secret not in json.dumps(out)


def test_old_spellings_are_accepted(s3: str, tmp_path: Path) -> None:
    put(s3, "in/old.txt", b"x")
    doc = task(s3, "in/old.txt", "data/out/old.upper")
    doc["input"], doc["output"] = doc.pop("inputs"), doc.pop("outputs")
    code, out = run(tmp_path, doc)
    assert (code, out["status"]) == (0, "success")


def test_missing_input_object_is_424(s3: str, tmp_path: Path) -> None:
    code, out = run(tmp_path, task(s3, "in/nope.txt", "data/out/nope.upper"))
    assert (code, out["status"]) == (1, 424)
    assert out["message"] == "input object data/in/nope.txt does not exist (NoSuchKey)"
    assert get(s3, "out/nope.upper") is None


def test_existing_output_is_409_unless_overwrite(s3: str, tmp_path: Path) -> None:
    put(s3, "in/b.txt", b"b")
    put(s3, "out/b.upper", b"old")
    code, out = run(tmp_path, task(s3, "in/b.txt", "data/out/b.upper"))
    assert (code, out["status"]) == (1, 409)
    assert "data/out/b.upper" in out["message"]
    assert get(s3, "out/b.upper") == b"old"
    assert get(s3, "logs/in/b.txt/run.log") is None  # nothing half-written
    code, out = run(tmp_path, task(s3, "in/b.txt", "data/out/b.upper", overwrite=True))
    assert (code, out["status"]) == (0, "success")
    assert get(s3, "out/b.upper") == b"BB"


@pytest.mark.parametrize(
    ("data", "params", "status", "message"),
    [
        (b"FAIL", {}, 500, "tool failed: RuntimeError: tool blew up"),
        (b"BAD", {}, 400, "text.txt:1: expected good text, found BAD"),
        (b"ok", {"repeat": 9}, 400, "parameters.repeat: expected a value <= 5, found 9"),
        (b"ok", {"colour": "red"}, 400, "parameters.colour: unknown config key (the manifest declares: repeat)"),
    ],
)
def test_failures_leave_no_outputs(
    s3: str, tmp_path: Path, data: bytes, params: dict[str, Any], status: int, message: str
) -> None:
    key = f"in/fail-{status}-{len(params)}-{data.decode()}.txt"
    put(s3, key, data)
    doc = task(s3, key, f"data/out/{key}.upper")
    doc["parameters"] = params
    code, out = run(tmp_path, doc)
    assert (code, out["status"], out["message"]) == (1, status, message)
    assert out["outputs"] == {}
    assert get(s3, f"out/{key}.upper") is None and get(s3, f"logs/{key}/run.log") is None


def test_bad_task_json(tmp_path: Path) -> None:
    (tmp_path / "in.json").write_text('{"inputs": {"text": ["no-key"]}, "minio": null}')
    assert run_klms(upper, MANIFEST, tmp_path / "in.json", tmp_path / "out.json") == 1
    out = json.loads((tmp_path / "out.json").read_text())
    assert out["status"] == 400
    assert out["message"] == "inputs.text[0]: expected a MinIO path like bucket/key, found 'no-key'"


def test_bad_output_target_is_refused_before_any_work(tmp_path: Path) -> None:
    (tmp_path / "in.json").write_text('{"outputs": {"upper": "no-slash"}, "minio": null}')
    assert run_klms(upper, MANIFEST, tmp_path / "in.json", tmp_path / "out.json") == 1
    out = json.loads((tmp_path / "out.json").read_text())
    assert (out["status"], out["message"]) == (
        400,
        "outputs.upper: expected bucket/key or bucket/prefix/, found 'no-slash'",
    )
