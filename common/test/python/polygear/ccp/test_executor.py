"""The local CCP executor: injection safety, input checks, lifecycle, time limit, cancel, replicas.

Everything runs with `--no-container` (no registry is reachable from CI); the container runtime is
covered by the command lines it builds. Tests that need the OGC schemas read them from
$POLYGEAR_SPECS and are skipped, saying so, when it is unset.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
import zipfile
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from polygear.ccp import runtimes
from polygear.ccp.binding import Request, bind, parse_assignments
from polygear.ccp.executor import Executor
from polygear.ccp.methodfile import load_method, parse_method
from polygear.ccp.run_cli import main
from polygear.ccp.runtimes import Workspace, create_command, script_command, start_command
from polygear.ccp.templating import render

ECHO = Path(__file__).resolve().parents[3] / "data" / "ccp" / "echo-method.json"
SRC = Path(__file__).resolve().parents[4] / "src" / "python"
SPECS_ENV = "POLYGEAR_SPECS"


def echo_method() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(ECHO.read_text(encoding="utf-8"))
    return data


def with_scripts(**scripts: list[str]) -> dict[str, Any]:
    """The echo Method with some scripts replaced (keyword `execute` stands for `execute-script`)."""
    data = echo_method()
    for param in data["additionalParameters"]["parameters"]:
        key = param["name"].removesuffix("-script")
        if key in scripts:
            param["value"] = scripts[key]
    return data


def write_method(tmp_path: Path, data: dict[str, Any], name: str = "method.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def run_cli(tmp_path: Path, method: Path, *args: str) -> tuple[int, Path]:
    out = tmp_path / "run"
    code = main([str(method), "--no-container", "--out", str(out), *args])
    return code, out


def status_of(out: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((out / "jobStatus.json").read_text(encoding="utf-8"))
    return data


def alive(pid: int) -> bool:
    """True while `pid` exists and is not a zombie (an unreaped corpse runs nothing)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


# --- injection -------------------------------------------------------------------------------------


@pytest.mark.parametrize("position", ["unquoted", "single-quoted", "double-quoted"])
def test_injected_value_executes_nothing(tmp_path: Path, position: str) -> None:
    marker = Path(f"/tmp/pwned-{uuid.uuid4().hex}")
    line = {"unquoted": "echo {{ message }}", "single-quoted": "echo '{{ message }}'"}.get(
        position, 'echo "{{ message }}"'
    )
    method = write_method(tmp_path, with_scripts(execute=[line, "echo {{message}}>/ccp_data/value.txt"]))
    value = f"x'; touch {marker}; '"
    code, out = run_cli(tmp_path, method, "-i", f"message={value}")
    assert code == 0, status_of(out)["message"]
    assert not marker.exists()
    assert f"[execute 1] {value}" in (out / "stdout.txt").read_text()


@pytest.mark.parametrize(
    "value", ["plain", "it's", "$(touch /tmp/x)", "`id`", 'a"b\\c', "new\nline", "'", "''", "{{ message }}", ""]
)
def test_rendering_round_trips_every_value(value: str) -> None:
    script = "printf '%s|' {{ v }} '{{ v }}' \"{{v}}\" 'pre{{ v }}post'\n"
    rendered = render(script, {"v": value}, "test")
    shown = subprocess.run(["/bin/sh", "-c", rendered], capture_output=True, text=True, check=True).stdout
    assert shown == f"{value}|{value}|{value}|pre{value}post|"


def test_unknown_placeholder_is_refused_before_launch(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    marker = tmp_path / "launched"
    method = write_method(tmp_path, with_scripts(deploy=[f"touch {marker}"], execute=["echo {{ nosuch }}"]))
    code, out = run_cli(tmp_path, method, "-i", "message=hi")
    err = capsys.readouterr().err
    assert code == 1
    assert err.startswith(f"error: {method}:additionalParameters.execute-script: line 1: unknown placeholder")
    assert "{{ nosuch }}" in err and len(err.strip().splitlines()) == 1
    assert not out.exists() and not marker.exists()


def test_placeholder_in_ansi_c_quotes_is_refused(tmp_path: Path) -> None:
    with pytest.raises(Exception, match=r"inside \$'...' is not supported"):
        parse_method(with_scripts(execute=["echo $'{{ message }}'"]), "m.json")


# --- input checks ----------------------------------------------------------------------------------


def bind_cli(*pairs: str) -> Any:
    return bind(load_method(ECHO), Request(parse_assignments(list(pairs))))


def test_defaults_fill_missing_inputs() -> None:
    bound = bind_cli("message=hi")
    assert bound.values["count"] == 2 and bound.values["mode"] == "short"
    assert bound.texts["tag"] == "" and bound.values["ccpimage"] == "debian:bookworm-slim"


def test_read_only_input_cannot_be_overridden(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run_cli(tmp_path, ECHO, "-i", "message=hi", "-i", "ccpimage=evil/image:latest")
    err = capsys.readouterr().err
    assert code == 1 and not out.exists()
    assert err.startswith("error: inputs.ccpimage: read-only input")
    bind_cli("message=hi", "ccpimage=debian:bookworm-slim")  # its own value is fine


def test_generated_spelling_of_read_only_is_honoured() -> None:
    data = echo_method()
    schema = data["inputs"]["ccpimage"]["schema"]
    del schema["readonly"]
    schema["readOnly"] = True
    with pytest.raises(Exception, match="read-only"):
        bind(parse_method(data, "m.json"), Request(parse_assignments(["message=a", "ccpimage=x"])))


@pytest.mark.parametrize(
    ("pairs", "field", "reason"),
    [
        ([], "inputs.message", "at least 1 value(s) (minOccurs), not given"),
        (["message=hi", "count=11"], "inputs.count", "11 is greater than the maximum of 10"),
        (["message=hi", "count=two"], "inputs.count", "'two' is not of type 'integer'"),
        (["message=hi", "mode=medium"], "inputs.mode", "'medium' is not one of ['short', 'long']"),
        (["message=hi", "source=not a url"], "inputs.source", "'not a url' is not a 'url'"),
        (["message=hi", "tag=a", "tag=b", "tag=c", "tag=d"], "inputs.tag", "at most 3 value(s) (maxOccurs)"),
        (["message=hi", "tag=a", "tag=B"], "inputs.tag.1", "'B' does not match '^[a-z]+$'"),
        (["message=hi", "nosuch=1"], "inputs.nosuch", "not an input of this Method"),
        (["message=hi", "ccpreplicas=0"], "inputs.ccpreplicas", "0 is less than the minimum of 1"),
        (["message=hi", "ccpmaxtime=0"], "inputs.ccpmaxtime", "0 is less than or equal to the minimum of 0"),
    ],
)
def test_input_violations_are_named(pairs: list[str], field: str, reason: str) -> None:
    with pytest.raises(Exception) as caught:
        bind_cli(*pairs)
    assert str(caught.value).startswith(f"{field}: ")
    assert reason in str(caught.value)


# --- bad Method / bad execute document: one line, nothing written ------------------------------------


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda d: d["inputs"]["ccpimage"].update(schema="string"), "inputs.ccpimage.schema: expected a JSON schema"),
        (lambda d: d["inputs"]["ccpimage"]["schema"].pop("default"), "inputs.ccpimage.schema.default: expected"),
        (lambda d: d["inputs"].pop("ccpimage"), "inputs.ccpimage: expected the runtime image input"),
        (lambda d: d["inputs"]["count"]["schema"].update(type="int"), "inputs.count.schema.type: not a valid schema"),
        (lambda d: d["inputs"]["count"].update(maxOccurs=0), "inputs.count.maxOccurs: expected an integer >= 1"),
        (lambda d: d.update(id=""), "id: expected a non-empty string"),
        (lambda d: d["additionalParameters"]["parameters"][0].update(value="echo"), "parameters.0.value: expected"),
    ],
)
def test_bad_method_is_one_line_naming_the_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], change: Any, field: str
) -> None:
    data = echo_method()
    change(data)
    method = write_method(tmp_path, data)
    code, out = run_cli(tmp_path, method, "-i", "message=hi")
    err = capsys.readouterr().err
    assert code == 1 and not out.exists()
    assert err.startswith(f"error: {method}:") and field in err, err
    assert len(err.strip().splitlines()) == 1


def test_broken_json_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    method = tmp_path / "method.json"
    method.write_text('{"id": ', encoding="utf-8")
    code, out = run_cli(tmp_path, method)
    assert code == 1 and not out.exists()
    assert capsys.readouterr().err.startswith(f"error: {method}:1:8: invalid JSON in Method JSON")


def write_document(tmp_path: Path, document: Any) -> Path:
    path = tmp_path / "execute.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def test_execute_document_inputs_run(tmp_path: Path) -> None:
    document = {
        "inputs": {
            "message": {"value": "from doc"},
            "count": 3,
            "tag": ["ab", "cd"],
            "source": {"href": "http://x.org/y"},
        },
        "outputs": {"message": {"transmissionMode": "value"}},
        "response": "raw",
    }
    code, out = run_cli(tmp_path, ECHO, "--execute-document", str(write_document(tmp_path, document)))
    assert code == 0, status_of(out)["message"]
    produced = out / "outputs" / "1"
    assert (produced / "message.txt").read_text() == "from doc"
    assert (produced / "source.txt").read_text() == "http://x.org/y"
    assert (produced / "tags.txt").read_text() == '["ab","cd"]'
    request = json.loads((out / "request.json").read_text())
    assert request["inputs"]["count"] == 3 and request["inputs"]["mode"] == "short" and request["response"] == "raw"


@pytest.mark.parametrize(
    ("document", "field"),
    [
        ({"inputs": []}, "inputs: expected an object"),
        ({"inputs": {"message": "hi"}, "response": "stream"}, "response: expected one of raw, document"),
        ({"inputs": {"message": "hi"}, "outputs": {"nosuch": {}}}, "outputs.nosuch: not an output of this Method"),
        ({"inputs": {"message": 5}}, "inputs.message: expected a value matching the input's schema"),
    ],
)
def test_bad_execute_document_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, document: Any, field: str
) -> None:
    monkeypatch.delenv(SPECS_ENV, raising=False)
    path = write_document(tmp_path, document)
    code, out = run_cli(tmp_path, ECHO, "--execute-document", str(path))
    err = capsys.readouterr().err
    assert code == 1 and not out.exists()
    assert f"error: {path}:{field}" in err, err
    assert len([line for line in err.splitlines() if line.startswith("error:")]) == 1


def specs_or_skip() -> None:
    if not os.environ.get(SPECS_ENV):
        pytest.skip(f"{SPECS_ENV} is not set: the OGC API Processes 1.0 schemas are not available")


def test_execute_document_is_checked_against_execute_yaml(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    specs_or_skip()
    bad = {"inputs": {"message": {"href": 42}}}
    path = write_document(tmp_path, bad)
    code, out = run_cli(tmp_path, ECHO, "--execute-document", str(path))
    err = capsys.readouterr().err
    assert code == 1 and not out.exists()
    assert err.startswith(f"error: {path}:inputs.message: does not match OGC execute.yaml"), err
    good = {"inputs": {"message": "hi", "count": 5, "tag": ["a", "b"]}, "outputs": {}, "response": "raw"}
    code, out = run_cli(tmp_path, ECHO, "--execute-document", str(write_document(tmp_path, good)))
    assert code == 0


def test_missing_specs_only_warn(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.delenv(SPECS_ENV, raising=False)
    code, _ = run_cli(tmp_path, ECHO, "--execute-document", str(write_document(tmp_path, {"inputs": {"message": "x"}})))
    assert code == 0
    assert "POLYGEAR_SPECS is not set" in caplog.text


def test_job_status_matches_status_info(tmp_path: Path) -> None:
    specs_or_skip()
    import jsonschema
    import yaml

    folder = Path(os.environ[SPECS_ENV]) / "ogcapi-processes-1.0"
    schema = yaml.safe_load((folder / "statusInfo.yaml").read_text())
    schema["properties"]["status"] = yaml.safe_load((folder / "statusCode.yaml").read_text())
    del schema["properties"]["links"]["items"]["$ref"]
    _, out = run_cli(tmp_path, ECHO, "-i", "message=hi")
    jsonschema.Draft4Validator(schema).validate(status_of(out))


# --- the lifecycle ---------------------------------------------------------------------------------


def test_successful_run_writes_the_execution_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run_cli(tmp_path, ECHO, "-i", "message=hello", "-i", "ccpnote=nightly")
    printed = capsys.readouterr().out
    assert code == 0
    assert f"execution folder: {out}" in printed and "status: successful" in printed
    status = status_of(out)
    assert status["status"] == "successful" and status["ccp"]["note"] == "nightly"
    assert list(status["ccp"]["phases"]) == ["launch", "deploy", "execute", "fetch", "undeploy", "destroy"]
    assert all(p["outcome"] == "successful" and p["started"] <= p["finished"] for p in status["ccp"]["phases"].values())
    assert status["created"] <= status["started"] <= status["finished"]
    stdout = (out / "stdout.txt").read_text()
    assert "[deploy 1] deploy: task " + status["jobID"] + " replica 1" in stdout
    assert "[execute 1] line 1" in stdout and "[undeploy 1] undeploy: done" in stdout
    assert (out / "stderr.txt").read_text() == "[execute 1] to stderr\n"
    assert json.loads((out / "method.json").read_text()) == echo_method()
    with zipfile.ZipFile(out / "output.zip") as archive:
        names = set(archive.namelist())
    assert {"outputs/1/message.txt", "stdout.txt", "stderr.txt"} <= names
    assert not [p for p in out.rglob("*") if p.name.startswith(".")]  # no temporary file left
    ccp_data = (out / "outputs" / "1" / "ccp_data.txt").read_text()
    assert not Path(ccp_data).exists()  # Destroy removed the sandbox


def test_existing_execution_folder_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "run").mkdir()
    code, _ = run_cli(tmp_path, ECHO, "-i", "message=hi")
    assert code == 1 and "already exists" in capsys.readouterr().err
    assert list((tmp_path / "run").iterdir()) == []


@pytest.mark.parametrize("phase", ["deploy", "execute", "undeploy"])
def test_failure_in_any_phase_still_destroys(tmp_path: Path, phase: str) -> None:
    method = write_method(tmp_path, with_scripts(**{phase: ["echo before", "exit 7"]}))
    code, out = run_cli(tmp_path, method, "-i", "message=hi")
    status = status_of(out)
    assert code == 1 and status["status"] == "failed"
    assert status["message"] == f"{phase} failed: replica 1 exited with code 7"
    assert status["ccp"]["failure"] == {"phase": phase, "replica": 1, "exitCode": 7}
    phases = status["ccp"]["phases"]
    assert phases[phase]["outcome"] == "failed" and phases["destroy"]["outcome"] == "successful"
    assert list(phases)[-2:] == [phase, "destroy"]  # nothing ran between the failure and Destroy
    assert f"[{phase} 1] before" in (out / "stdout.txt").read_text()


def start_child_and_wait(pid_file: str) -> list[str]:
    return ["sleep 60 &", f"echo $! > {pid_file}", "echo started", "wait"]


def test_time_limit_kills_the_script_and_its_children(tmp_path: Path) -> None:
    pid_file = tmp_path / "child.pid"
    method = write_method(tmp_path, with_scripts(execute=start_child_and_wait(str(pid_file))))
    started = time.monotonic()
    code, out = run_cli(tmp_path, method, "-i", "message=hi", "-i", "ccpmaxtime=0.5")
    assert time.monotonic() - started < 10
    status = status_of(out)
    assert code == 1 and status["status"] == "failed"
    assert "exceeded ccpmaxtime of 0.5 s" in status["message"]
    assert status["ccp"]["phases"]["destroy"]["outcome"] == "successful"
    child = int(pid_file.read_text())
    deadline = time.monotonic() + 5
    while alive(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not alive(child), f"the script's child {child} survived the time limit"


def test_background_process_is_killed_at_destroy(tmp_path: Path) -> None:
    pid_file = tmp_path / "daemon.pid"
    method = write_method(
        tmp_path,
        with_scripts(
            deploy=[
                "touch deployed.txt",
                "mkdir /ccp_data/output",
                "sleep 60 >/dev/null 2>&1 &",
                f"echo $! > {pid_file}",
            ]
        ),
    )
    code, _ = run_cli(tmp_path, method, "-i", "message=hi")
    assert code == 0
    child = int(pid_file.read_text())
    deadline = time.monotonic() + 5
    while alive(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not alive(child)


def test_cancel_runs_cancel_script_and_destroys(tmp_path: Path) -> None:
    pid_file = tmp_path / "child.pid"
    method = write_method(tmp_path, with_scripts(execute=start_child_and_wait(str(pid_file))))
    code, out = run_cli(tmp_path, method, "-i", "message=hi", "--cancel-after", "0.5")
    status = status_of(out)
    assert code == 1 and status["status"] == "dismissed"
    assert status["message"].startswith("dismissed during execute: cancel-script ran")
    phases = status["ccp"]["phases"]
    assert phases["execute"]["outcome"] == "dismissed" and phases["cancel"]["outcome"] == "successful"
    assert list(phases)[-2:] == ["cancel", "destroy"] and "undeploy" not in phases
    assert "[cancel 1] cancel: cleaning up" in (out / "stdout.txt").read_text()
    time.sleep(0.1)
    assert not alive(int(pid_file.read_text()))


def test_cancel_method_from_another_thread(tmp_path: Path) -> None:
    method = parse_method(with_scripts(execute=["sleep 30"]), "m.json")
    executor = Executor(method, bind(method, Request(parse_assignments(["message=hi"]))), tmp_path / "run")
    threading.Timer(0.3, executor.cancel).start()
    started = time.monotonic()
    assert executor.run().status == "dismissed"
    assert time.monotonic() - started < 5


def test_sigterm_to_the_command_dismisses(tmp_path: Path) -> None:
    method = write_method(tmp_path, with_scripts(execute=["echo started", "sleep 30"]))
    out = tmp_path / "run"
    argv = [sys.executable, "-m", "polygear.ccp.run_cli", str(method), "-i", "message=hi", "--no-container"]
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    proc = subprocess.Popen([*argv, "--out", str(out)], env=env, stdout=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and status_of_or_none(out) != "execute running":
        time.sleep(0.05)
    proc.send_signal(signal.SIGTERM)
    stdout, _ = proc.communicate(timeout=20)
    assert proc.returncode == 1 and "status: dismissed" in stdout
    assert status_of(out)["ccp"]["phases"]["destroy"]["outcome"] == "successful"


def status_of_or_none(out: Path) -> str | None:
    try:
        return str(status_of(out)["message"])
    except (FileNotFoundError, json.JSONDecodeError):
        return None


def test_replicas_run_in_parallel_with_their_own_outputs(tmp_path: Path) -> None:
    method = write_method(
        tmp_path,
        with_scripts(
            execute=["mkdir -p /ccp_data/output", "sleep 1", 'echo "$ccptaskname $ccptaskid" > /ccp_data/output/id']
        ),
    )
    started = time.monotonic()
    code, out = run_cli(tmp_path, method, "-i", "message=hi", "-i", "ccpreplicas=4")
    wall = time.monotonic() - started
    assert code == 0 and wall < 3, wall
    status = status_of(out)
    folders = sorted(p.name for p in (out / "outputs").iterdir())
    assert folders == ["1", "2", "3", "4"]
    ids = [(out / "outputs" / n / "id").read_text().split() for n in folders]
    assert {name for name, _ in ids} == {status["jobID"]}
    assert sorted(task for _, task in ids) == ["1", "2", "3", "4"]


def test_one_failing_replica_fails_the_execution(tmp_path: Path) -> None:
    method = write_method(tmp_path, with_scripts(execute=['[ "$ccptaskid" != 2 ] || exit 5']))
    code, out = run_cli(tmp_path, method, "-i", "message=hi", "-i", "ccpreplicas=3")
    assert code == 1
    assert status_of(out)["message"] == "execute failed: replica 2 exited with code 5"


# --- the container runtime: the command lines it builds --------------------------------------------


def test_container_command_lines(tmp_path: Path) -> None:
    env = runtimes.task_env("job", 2, "/ccp_data")
    sandbox = tmp_path / "replica-2" / "ccp_data"
    assert create_command("podman", "img:1", "ccp-job-2", sandbox, env) == [
        "podman", "create", "--name", "ccp-job-2", "--init", "--volume", f"{sandbox}:/ccp_data",
        "--env", "ccptaskname=job", "--env", "ccptaskid=2", "--env", "CCP_DATA=/ccp_data",
        "--entrypoint", "/bin/sh", "img:1", "/ccp_data/ccp-entrypoint.sh",
    ]  # fmt: skip
    assert start_command("docker", "ccp-job-2") == ["docker", "start", "--attach", "ccp-job-2"]
    assert script_command("docker", "img:1", "n", sandbox, {}, "/ccp_data/.ccp-undeploy.sh")[-3:] == [
        "/bin/sh", "img:1", "/ccp_data/.ccp-undeploy.sh",
    ]  # fmt: skip


def test_container_runtime_launch_writes_merged_entrypoint(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(runtimes, "container_engine", lambda: "fake-engine")
    method = load_method(ECHO)
    executor = Executor(method, bind(method, Request(parse_assignments(["message=it's"]))), tmp_path / "run", True)
    runtime = executor._runtime(Workspace(tmp_path / "ws"))
    assert isinstance(runtime, runtimes.ContainerRuntime) and runtime.engine == "fake-engine"
    started: list[list[str]] = []

    def fake_spawn(argv: list[str], *args: Any) -> SimpleNamespace:
        started.append(list(argv))
        return SimpleNamespace(pid=None)

    monkeypatch.setattr(runtimes, "spawn", fake_spawn)
    (tmp_path / "ws").mkdir()
    runtime.launch(1)
    [argv] = started
    assert argv[:2] == ["fake-engine", "create"] and "debian:bookworm-slim" in argv
    entrypoint = (tmp_path / "ws" / "replica-1" / "ccp_data" / "ccp-entrypoint.sh").read_text()
    assert entrypoint.index("deploy: task") < entrypoint.index("printf '%s' 'it'\"'\"'s'")
    assert "/ccp_data/output/message.txt" in entrypoint  # /ccp_data is not rewritten in a container
