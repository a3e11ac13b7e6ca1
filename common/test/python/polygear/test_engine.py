"""The Flywheel run contract through `run_tool`: validation before work, atomic outputs, exit codes, secrets."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest

from polygear.core.errors import InputError
from polygear.core.run import RunContext
from polygear.entry import run_tool
from polygear.flywheel.gear_dir import build_gear_dir

MANIFEST = Path(__file__).resolve().parents[2] / "data" / "lint" / "manifest.json"
SECRET = "flywheel.example.org:Zq8VsecretKEY42"


def gear(tmp: Path, config: list[str] | None = None, api_key: str | None = None) -> Path:
    table = tmp / "table.csv"
    table.write_text("a,b\n1,2\n")
    return build_gear_dir(
        MANIFEST, tmp / "v0", config if config is not None else ["column=a"], [f"table={table}"], api_key
    )


def writes_then(action: str) -> Any:
    def compute(ctx: RunContext) -> dict[str, Any]:
        (ctx.output_dir / "result.txt").write_text(ctx.config["column"])
        (ctx.output_dir / "sub").mkdir()
        (ctx.output_dir / "sub" / "part.txt").write_text("x")
        if action == "user-error":
            raise InputError("table.csv:2", "expected 3 fields, found 2")
        if action == "crash":
            raise RuntimeError("boom")
        if action == "bad-metadata":
            ctx.annotations.input_file("table", tags=[5])  # type: ignore[list-item]  # tags must be strings
        else:
            ctx.annotations.input_file("table", info={"rows": 1})
            ctx.annotations.run_info({"status": "ok"})
        return {"rows": 1}

    return compute


def outputs(gear_dir: Path) -> list[str]:
    return sorted(p.relative_to(gear_dir / "output").as_posix() for p in (gear_dir / "output").rglob("*"))


def test_success_publishes_outputs_and_valid_metadata(tmp_path: Path) -> None:
    d = gear(tmp_path)
    assert run_tool(writes_then("ok"), ["--gear-dir", str(d)]) == 0
    assert outputs(d) == [".metadata.json", "result.txt", "sub", "sub/part.txt"]
    meta = json.loads((d / "output" / ".metadata.json").read_text())
    assert meta == {
        "acquisition": {"files": [{"name": "table.csv", "info": {"rows": 1}}]},
        "analysis": {"info": {"status": "ok"}},
    }
    assert not list(d.parent.glob(".polygear-staging-*")) and not list(d.glob(".polygear-staging-*"))


@pytest.mark.parametrize(
    ("action", "code", "first_line"),
    [
        ("user-error", 1, "error: table.csv:2: expected 3 fields, found 2"),
        ("crash", 2, "error: unexpected failure; the traceback is in the log above"),
        ("bad-metadata", 2, "error: unexpected failure; the traceback is in the log above"),
    ],
)
def test_failures_leave_no_partial_outputs(
    tmp_path: Path, capfd: pytest.CaptureFixture[str], action: str, code: int, first_line: str
) -> None:
    d = gear(tmp_path)
    capfd.readouterr()
    assert run_tool(writes_then(action), ["--gear-dir", str(d)]) == code
    err = capfd.readouterr().err
    errors = [line for line in err.splitlines() if line.startswith("error:")]
    assert errors == [first_line]
    if action == "crash":
        assert "RuntimeError: boom" in err
    assert outputs(d) == []
    assert not list(d.parent.glob(".polygear-staging-*"))


def test_config_is_validated_before_any_work(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    d = gear(tmp_path)
    cfg = json.loads((d / "config.json").read_text())
    called = []

    def compute(ctx: RunContext) -> None:
        called.append(1)

    cases = {
        "error: config.column: required config value is missing (no default in the manifest)": ("column", None),
        'error: config.mode: expected one of "fast", "exact", found "slow"': ("mode", "slow"),
        "error: config.threshold: expected a value <= 1, found 1.5": ("threshold", 1.5),
        "error: config.limit: expected a value < 100, found 100": ("limit", 100),
        "error: config.limit: expected an integer, found 2.5": ("limit", 2.5),
        "error: config.label: expected a string matching '^[a-z]+$', found \"A1\"": ("label", "A1"),
        "error: config.nope: unknown config key (the manifest declares: column, label, limit, mode, threshold, verbose)": (
            "nope",
            1,
        ),
    }
    for expected, (key, value) in cases.items():
        broken = json.loads(json.dumps(cfg))
        if value is None:
            broken["config"].pop(key)
        else:
            broken["config"][key] = value
        (d / "config.json").write_text(json.dumps(broken))
        capfd.readouterr()
        assert run_tool(compute, ["--gear-dir", str(d)]) == 1, expected
        assert capfd.readouterr().err.strip().splitlines()[-1] == expected
    assert called == []


def test_missing_or_unknown_inputs(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    d = gear(tmp_path)
    cfg = json.loads((d / "config.json").read_text())
    cfg["inputs"]["table"]["location"]["path"] = str(tmp_path / "gone.csv")
    (d / "config.json").write_text(json.dumps(cfg))
    assert run_tool(writes_then("ok"), ["--gear-dir", str(d)]) == 1
    assert (
        capfd.readouterr().err.strip().splitlines()[-1]
        == f"error: inputs.table: input file {tmp_path / 'gone.csv'} does not exist or is not a file"
    )
    del cfg["inputs"]["table"]
    (d / "config.json").write_text(json.dumps(cfg))
    assert run_tool(writes_then("ok"), ["--gear-dir", str(d)]) == 1
    assert capfd.readouterr().err.strip().splitlines()[-1] == "error: inputs.table: required input file is missing"


def test_broken_config_json_names_line_and_column(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    d = gear(tmp_path)
    (d / "config.json").write_text('{"config": {"column": "a",}}')
    assert run_tool(writes_then("ok"), ["--gear-dir", str(d)]) == 1
    assert (
        capfd.readouterr()
        .err.strip()
        .splitlines()[-1]
        .startswith(f"error: {d / 'config.json'}:1:27: invalid JSON in gear config")
    )


def test_api_key_reaches_the_tool_as_a_secret_and_is_never_logged(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    d = gear(tmp_path, api_key=SECRET)
    seen: dict[str, Any] = {}

    def compute(ctx: RunContext) -> None:
        seen["secrets"] = dict(ctx.secrets)
        # Libraries (or careless code) may log a secret; the engine's filter must mask it.
        logging.getLogger("some.library").warning("calling API with key %s", SECRET)
        logging.getLogger("some.library").info(f"config dump: {json.loads((d / 'config.json').read_text())}")

    assert run_tool(compute, ["--gear-dir", str(d)]) == 0
    captured = capfd.readouterr()
    assert seen == {"secrets": {"key": SECRET}}
    assert SECRET not in captured.out + captured.err
    assert "Zq8VsecretKEY42" not in captured.out + captured.err
    assert "calling API with key ***" in captured.out + captured.err


def test_config_json_with_the_wrong_shape_is_one_line(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    d = gear(tmp_path)
    cfg = json.loads((d / "config.json").read_text())
    for key, value in (("config", []), ("inputs", "table.csv"), ("destination", 5)):
        broken = {**cfg, key: value}
        (d / "config.json").write_text(json.dumps(broken))
        capfd.readouterr()
        assert run_tool(writes_then("ok"), ["--gear-dir", str(d)]) == 1
        expected = f"error: {d / 'config.json'}:{key}: expected an object, found {type(value).__name__}"
        assert capfd.readouterr().err.strip().splitlines()[-1] == expected


def test_an_output_path_that_is_a_file_is_one_line(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    d = gear(tmp_path)
    (d / "output").rmdir()
    (d / "output").write_text("not a folder")
    capfd.readouterr()
    assert run_tool(writes_then("ok"), ["--gear-dir", str(d)]) == 1
    expected = f"error: {d / 'output'}: the output path is a file; expected a folder"
    assert capfd.readouterr().err.strip().splitlines()[-1] == expected


def test_a_full_disk_is_one_line_and_publishes_nothing(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    import errno
    import os

    d = gear(tmp_path)

    def disk_full(ctx: RunContext) -> None:
        (ctx.output_dir / "partial.txt").write_text("half")
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(ctx.output_dir / "partial.txt"))

    capfd.readouterr()
    assert run_tool(disk_full, ["--gear-dir", str(d)]) == 1
    last = capfd.readouterr().err.strip().splitlines()[-1]
    assert last.startswith("error: ") and last.endswith("partial.txt: No space left on device; nothing was published")
    assert outputs(d) == []


def test_sigterm_removes_the_staging_folder_and_publishes_nothing(tmp_path: Path) -> None:
    """A real SIGTERM to a real process running a tool the Flywheel way (what `docker stop` does)."""
    import os
    import signal
    import subprocess
    import sys

    d = gear(tmp_path)
    script = tmp_path / "slow_gear.py"
    script.write_text(
        "import sys, time\n"
        "from polygear.entry import run_tool\n"
        "def slow(ctx):\n"
        "    (ctx.output_dir / 'half.txt').write_text('x')\n"
        "    print('computing', flush=True)\n"
        "    time.sleep(60)\n"
        "sys.exit(run_tool(slow, sys.argv[1:]))\n"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    proc = subprocess.Popen(
        [sys.executable, str(script), "--gear-dir", str(d)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert proc.stdout is not None
    while proc.stdout.readline().strip() != "computing":  # fw-gear logs to stdout first
        assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 143, err
    assert err.strip().splitlines()[-1] == "error: cancelled by SIGTERM; no outputs were published"
    assert outputs(d) == []
    assert not list(d.parent.glob(".polygear-staging-*")) and not list(d.glob("output/.polygear-staging-*"))


def test_metadata_gets_the_umask_mode_not_0600(tmp_path: Path) -> None:
    import os

    d = gear(tmp_path)
    old = os.umask(0o022)
    try:
        assert run_tool(writes_then("ok"), ["--gear-dir", str(d)]) == 0
    finally:
        os.umask(old)
    assert (d / "output" / ".metadata.json").stat().st_mode & 0o777 == 0o644
