"""csv-splitter as a STELAR KLMS tool: the real run.sh, the built pex, a local S3 server and a
local KLMS task API (both on loopback, started and stopped by the tests)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from polygear.testing.klms import RUN_SH, KlmsApi, klms_api, minio_block, minio_client, run_sh, run_task, s3_server

PEX = "pex/csv-splitter.pex"
GEAR_DIR = "gears/csv-splitter/src/docker"
DATA = Path(__file__).resolve().parents[2] / "data"


@pytest.fixture(scope="module")
def s3() -> Iterator[str]:
    with s3_server() as url:
        mc = minio_client(url)
        mc.make_bucket("lake")
        mc.fput_object("lake", "raw/visits.csv", str(DATA / "visits.csv"))
        yield url


def task(s3: str, out: str = "lake/split/", **params: object) -> dict[str, object]:
    return {
        "inputs": {"table": ["lake/raw/visits.csv"]},
        "outputs": {"parts": out},
        "parameters": {"column": "site", **params},
        "secrets": {},
        "minio": minio_block(s3),
    }


def test_success_end_to_end(s3: str) -> None:
    api = KlmsApi(result=task(s3, "lake/split-ok/"))
    run = run_task(api, PEX, GEAR_DIR)
    assert run.returncode == 0, run.stderr
    assert api.auth_seen == [api.token]
    (posted,) = api.posted
    assert posted["status"] == "success"
    # One string per output name, as the STELAR API requires; the files are listed in the metrics.
    assert posted["outputs"] == {"parts": "lake/split-ok/"}
    assert posted["metrics"]["output_files"] == {
        "parts": [
            "lake/split-ok/visits_Boston.csv",
            "lake/split-ok/visits_Chicago.csv",
            "lake/split-ok/visits_San_Francisco.csv",
        ]
    }
    assert api.refused == []
    assert posted["metrics"]["rows"] == 7 and posted["metrics"]["bytes_read"] == (DATA / "visits.csv").stat().st_size
    mc = minio_client(s3)
    body = mc.get_object("lake", "split-ok/visits_Chicago.csv")
    assert body.read().decode().splitlines() == ["subject,site,visit,score", "S002,Chicago,1,9.0", "S005,Chicago,2,8.5"]
    assert minio_block(s3)["key"] not in run.stdout + run.stderr + json.dumps(posted)


def test_tool_failure_is_posted_and_exit_1(s3: str) -> None:
    api = KlmsApi(result=task(s3, "lake/split-bad/", column="clinic"))
    run = run_task(api, PEX, GEAR_DIR)
    assert run.returncode == 1
    (posted,) = api.posted
    assert posted["status"] == 400
    assert posted["message"].startswith("config.column: column 'clinic' not found")
    assert list(minio_client(s3).list_objects("lake", prefix="split-bad/", recursive=True)) == []


def test_usage_error_exit_2() -> None:
    run = run_sh(RUN_SH, PEX, GEAR_DIR, ["only", "three", "args"])
    assert run.returncode == 2
    assert run.stderr.strip().startswith("usage:")


@pytest.mark.parametrize(
    ("api", "reason"),
    [
        (KlmsApi(input_status=500, input_body='{"success": false}'), "HTTP 500"),
        (KlmsApi(input_body='{"success": false, "result": {}}'), 'no "success": true'),
        (KlmsApi(input_body="<html>not json</html>"), "answer is not JSON"),
        (KlmsApi(token="another-token", result={}), "HTTP 401"),
    ],
)
def test_input_fetch_failures_exit_3(api: KlmsApi, reason: str) -> None:
    given_token = KlmsApi().token  # what the cluster passes: "Bearer <token>", sent verbatim
    with klms_api(api):
        run = run_sh(RUN_SH, PEX, GEAR_DIR, [given_token, api.url, api.task_id, api.signature])
    assert run.returncode == 3, run.stderr
    assert reason in run.stderr
    assert api.posted == []


def test_connection_refused_exit_3() -> None:
    from polygear.testing.klms import free_port

    run = run_sh(RUN_SH, PEX, GEAR_DIR, ["t", f"http://127.0.0.1:{free_port()}", "task-1", "sig-1"])
    assert run.returncode == 3
    assert "ConnectionError" in run.stderr


def test_output_post_failure_exit_4(s3: str) -> None:
    run = run_task(KlmsApi(result=task(s3, "lake/split-4/"), output_status=503), PEX, GEAR_DIR)
    assert run.returncode == 4
    assert "HTTP 503" in run.stderr


def test_large_object_is_staged_with_flat_memory(s3: str, tmp_path: Path) -> None:
    big = tmp_path / "big.csv"
    line = "S0000001,site-{k},1,2024-01-01,42.125,some free text to make rows longer than a few bytes\n"
    with open(big, "w", encoding="utf-8") as fh:
        fh.write("subject,site,visit,date,score,notes\n")
        block = "".join(line.format(k=k % 5) for k in range(5000))
        while fh.tell() < 210 * 1024 * 1024:
            fh.write(block)
    size = big.stat().st_size
    mc = minio_client(s3)
    mc.fput_object("lake", "raw/big.csv", str(big))
    big.unlink()
    doc = task(s3, "lake/split-big/")
    doc["inputs"] = {"table": ["s3://lake/raw/big.csv"]}
    api = KlmsApi(result=doc)
    run = run_task(api, PEX, GEAR_DIR)
    assert run.returncode == 0, run.stderr
    (posted,) = api.posted
    metrics = posted["metrics"]
    assert metrics["bytes_read"] == size >= 200 * 1024 * 1024
    assert metrics["bytes_written"] > size * 0.99  # the parts hold every row again
    # The whole tool process (download, split, upload) stays far below the object size.
    assert metrics["peak_rss_mb"] < 150, metrics
    for key in ("split-big/big_site-0.csv", "split-big/big_site-4.csv"):
        assert mc.stat_object("lake", key).size > 30 * 1024 * 1024


def test_inside_the_image(s3: str) -> None:
    """The image's own entrypoint (/run.sh) with the KLMS arguments, as KLMS starts it."""
    import subprocess

    from polygear.testing.images import build_tool_image, container_engine

    engine = container_engine()
    if engine is None:
        pytest.skip("no container engine (docker daemon or podman) on this machine")
    tag = "polygear-test/csv-splitter-klms:under-test"
    build_tool_image(engine, "csv-splitter", tag)
    with klms_api(KlmsApi(result=task(s3, "lake/split-image/"))) as api:
        # Host networking: the container reaches the loopback S3 and KLMS servers of this test.
        proc = subprocess.run(
            [engine, "run", "--rm", "--network=host", tag, *api.args()],
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    (posted,) = api.posted
    assert posted["status"] == "success"
    assert posted["outputs"] == {"parts": "lake/split-image/"}
    assert len(posted["metrics"]["output_files"]["parts"]) == 3
    usage = subprocess.run(
        [engine, "run", "--rm", "--network=none", tag, "only-one-arg"], capture_output=True, text=True, check=False
    )
    assert usage.returncode == 2 and "usage:" in usage.stderr


def test_task_id_and_signature_travel_as_single_encoded_segments(s3: str) -> None:
    """An id like `../../admin/x` or `t1?x=` must not send the token to another path."""
    api = KlmsApi(task_id="../../admin/x", signature="t1?x=", result=task(s3, "lake/split-encoded/"))
    run = run_task(api, PEX, GEAR_DIR)
    assert run.returncode == 0, run.stderr
    assert api.paths_seen == [
        "/api/v2/task/..%2F..%2Fadmin%2Fx/t1%3Fx%3D/input",
        "/api/v2/task/..%2F..%2Fadmin%2Fx/t1%3Fx%3D/output",
    ]
    assert api.token not in run.stdout + run.stderr


def test_sigterm_is_passed_on_and_the_failure_is_still_posted(tmp_path: Path) -> None:
    """run.sh itself, with a stand-in for /bin/run whose KLMS step runs until it is signalled."""
    import os
    import signal
    import subprocess
    import time

    fake = tmp_path / "run"
    fake.write_text(
        "#!/bin/sh\n"
        f'log="{tmp_path}/calls"\n'
        'case "$1" in\n'
        '  klms-fetch) echo fetch >>"$log"; echo "{}" >"$6" ;;\n'
        "  --klms)\n"
        '    trap \'echo got-term >>"$log"; '
        'echo "{\\"status\\": 500, \\"message\\": \\"tool cancelled by SIGTERM\\", \\"outputs\\": {}, \\"metrics\\": {}}" >"$3"; exit 143\' TERM\n'
        '    echo klms >>"$log"; while :; do sleep 0.1; done ;;\n'
        '  klms-post) echo "post $(cat "$5")" >>"$log" ;;\n'
        "esac\n"
    )
    fake.chmod(0o755)
    env = {**os.environ, "POLYGEAR_RUN": str(fake), "TMPDIR": str(tmp_path)}
    proc = subprocess.Popen(["sh", RUN_SH, "Bearer t", "http://127.0.0.1:9", "task-1", "sig-1"], env=env)
    calls = tmp_path / "calls"
    deadline = time.monotonic() + 30
    while not (calls.exists() and "klms" in calls.read_text().split()):
        assert time.monotonic() < deadline, "the KLMS step never started"
        time.sleep(0.05)
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=30) == 143
    lines = calls.read_text().splitlines()
    assert lines[:3] == ["fetch", "klms", "got-term"]
    assert lines[3].startswith("post ") and "tool cancelled by SIGTERM" in lines[3]
    assert not list(tmp_path.glob("klms-task.*"))  # run.sh's temporary data is gone


def test_another_absolute_command_runs_instead_of_the_klms_task(tmp_path: Path) -> None:
    """A platform that keeps /run.sh as ENTRYPOINT and passes its own script (CCP) gets it run."""
    script = tmp_path / "entry.sh"
    script.write_text('#!/bin/sh\necho "ran with $# argument(s): $*"\n')
    script.chmod(0o755)
    run = run_sh(RUN_SH, PEX, GEAR_DIR, [str(script), "a b", "c"])
    assert (run.returncode, run.stdout) == (0, "ran with 2 argument(s): a b c\n")
    # The KLMS form wins whenever the second argument is an endpoint URL, whatever the token looks like.
    klms = run_sh(RUN_SH, PEX, GEAR_DIR, ["/token-with-a-slash", "http://127.0.0.1:9", "task-1", "sig-1"])
    assert klms.returncode == 3 and "could not fetch the task input" in klms.stderr
