"""Run a tool's committed CWL package with cwltool: on this machine (the pex) or through its image.

The package's CommandLineTool runs `/bin/run`, the path the tool's image has. Without a container
(`--no-container`, or no engine on the machine) the pex `./pants package` built stands in for it:
cwltool gets a copy of the package whose `baseCommand` is that pex, and nothing else changes, so a
wrong default, type or glob in the committed package shows up here exactly as on an ADES.

The job (`-c NAME=VALUE`, `-i NAME=PATH`) is typed by the manifest, as a CWL job document.
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import json
import logging
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from polygear.core.bind import parse_assignments, parse_cli_value, refuse_unknown
from polygear.core.errors import UserError
from polygear.core.spec import ToolSpec

# Where pexes run by cwltool unpack (cwltool gives each step a fresh HOME; without this, every run
# would unpack the pex again into its output folder).
PEX_ROOT_DEFAULT = Path.home() / ".cache" / "polygear" / "cwl-pex-root"
TOIL_RUNNER = "toil-cwl-runner"


@dataclass(frozen=True)
class CwlRun:
    exit_code: int
    outputs: dict[str, Any]  # cwltool's output object (empty when the run failed)
    log: str  # cwltool's own log (the tool's stderr is in it)


def job_document(spec: ToolSpec, config_args: Sequence[str], input_args: Sequence[str]) -> dict[str, Any]:
    """The CWL job for `-c`/`-i` words: values typed by the manifest, files as CWL File objects."""
    config = parse_assignments(config_args, "-c")
    files = parse_assignments(input_args, "-i")
    refuse_unknown(config, spec.parameters, "config", "config key")
    refuse_unknown(files, spec.file_inputs, "inputs", "input", declares="the manifest declares file inputs")
    job: dict[str, Any] = {}
    for name, path in files.items():
        if not Path(path).is_file():
            raise UserError(f"inputs.{name}", f"input file {path} does not exist or is not a file")
        job[name] = {"class": "File", "path": str(Path(path).resolve())}
    for name, raw in config.items():
        job[name] = parse_cli_value(f"config.{name}", spec.parameters[name], raw)
    return job


def with_overrides(
    package: Path,
    dest: Path,
    command: str | Mapping[str, str] | None = None,
    image: str | Mapping[str, str] | None = None,
) -> Path:
    """A copy of `package` whose CommandLineTools run `command` (the pex; for a pipeline, a mapping of
    CommandLineTool id -> pex) instead of `/bin/run`, or pull `image` (an image under test; a mapping
    for a pipeline) instead of the released one; nothing else changes."""
    document = yaml.safe_load(package.read_text(encoding="utf-8"))
    for process in document.get("$graph", []):
        if process.get("class") != "CommandLineTool":
            continue
        chosen = command.get(process.get("id", "")) if isinstance(command, Mapping) else command
        if chosen is not None:
            process["baseCommand"] = [chosen]
        pulled = image.get(process.get("id", "")) if isinstance(image, Mapping) else image
        if pulled is not None:
            process.setdefault("hints", {})["DockerRequirement"] = {"dockerPull": pulled}
    dest.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    return dest


def run_package(
    package: Path,
    spec: ToolSpec,
    job: dict[str, Any],
    outdir: Path,
    pex: Path | None = None,
    engine: str | None = None,
    image: str | None = None,
) -> CwlRun:
    """One tool's package (see `run_cwl`)."""
    command = str(Path(pex).resolve()) if pex is not None else None
    return run_cwl(package, spec.name, job, outdir, command, engine, image)


def run_cwl(
    package: Path,
    process_id: str,
    job: dict[str, Any],
    outdir: Path,
    command: str | Mapping[str, str] | None = None,
    engine: str | None = None,
    image: str | Mapping[str, str] | None = None,
    extra_args: Sequence[str] = (),
) -> CwlRun:
    """cwltool on `package#<process_id>` with `job`; `command` given: no container, the pex(es) as `/bin/run`.

    Otherwise the tool's image (or `image`) runs with `engine` (default: `docker` on PATH). podman runs as a
    user-space Docker (`--user-space-docker-cmd`): cwltool's own `--podman` asks for
    `--userns=keep-id`, which rootful podman (a CI machine without Docker) refuses.
    """
    from cwltool.main import main as cwltool_main  # heavy import: only when a package runs

    with tempfile.TemporaryDirectory(prefix="polygear-cwl-") as scratch:
        target = package
        argv = ["--outdir", str(outdir), "--disable-color"]
        env = dict(os.environ)
        if command is not None or image is not None:
            target = with_overrides(package, Path(scratch) / package.name, command, image)
        if command is not None:
            env.setdefault("PEX_ROOT", str(PEX_ROOT_DEFAULT))
            argv += ["--no-container", "--preserve-environment", "PEX_ROOT"]
        elif engine is not None and Path(engine).name != "docker":
            argv += ["--user-space-docker-cmd", engine]
        job_path = Path(scratch) / "job.json"
        job_path.write_text(json.dumps(job), encoding="utf-8")
        argv += [*extra_args, f"{target}#{process_id}", str(job_path)]
        stdout = io.StringIO()
        saved = dict(os.environ)
        os.environ.update(env)
        # cwltool hands its own stderr's file descriptor to the tool it runs: a real file collects both.
        with open(Path(scratch) / "cwltool.log", "w+", encoding="utf-8") as log_file:
            handler = logging.StreamHandler(log_file)
            try:
                with contextlib.redirect_stderr(log_file):
                    code = cwltool_main(argsl=argv, stdout=stdout, stderr=log_file, logger_handler=handler)
            finally:
                os.environ.clear()
                os.environ.update(saved)
            log_file.flush()
            log_file.seek(0)
            log_text = log_file.read()
    text = stdout.getvalue().strip()
    outputs = json.loads(text) if code == 0 and text else {}
    return CwlRun(int(code), outputs, log_text)


def toil_command() -> tuple[list[str], Path]:
    """How to start Toil's CWL runner, and the folder its `_toil_worker` script is in.

    Toil from this Python's environment (the lockfile's) runs as `python -c` of its entry point: the
    `toil-cwl-runner` script a pex venv writes carries the entry point's extras (`main [cwl]`) and
    cannot start. Otherwise `toil-cwl-runner` from PATH.
    """
    if importlib.util.find_spec("toil") is not None:
        code = "import sys; from toil.cwl.cwltoil import main; sys.exit(main())"
        return [sys.executable, "-c", code], Path(sys.executable).parent
    found = shutil.which(TOIL_RUNNER)
    if found is None:
        raise UserError(
            "--engine toil", "expected Toil (toil[cwl] is in the lockfile, or toil-cwl-runner on PATH), found none"
        )
    return [found], Path(found).parent


def run_toil(
    package: Path,
    process_id: str,
    job: dict[str, Any],
    outdir: Path,
    command: str | Mapping[str, str] | None = None,
    timeout: float = 3600,
) -> CwlRun:
    """Toil (`toil-cwl-runner --batchSystem single_machine`) on `package#<process_id>`.

    Toil starts its workers as `_toil_worker` from PATH: the runner's own folder goes first on it.
    `command` as in `run_cwl` (no container, the pexes as /bin/run); otherwise the images (Docker).
    """
    runner, scripts = toil_command()
    with tempfile.TemporaryDirectory(prefix="polygear-toil-") as scratch:
        target = package if command is None else with_overrides(package, Path(scratch) / package.name, command)
        job_path = Path(scratch) / "job.json"
        job_path.write_text(json.dumps(job), encoding="utf-8")
        env = {**os.environ, "PATH": f"{scripts}{os.pathsep}{os.environ.get('PATH', '')}"}
        env.setdefault("PEX_ROOT", str(PEX_ROOT_DEFAULT))
        # a tool's failure is its input's, not the machine's: no retries
        argv = [*runner, "--preserve-environment", "PEX_ROOT", "--batchSystem", "single_machine", "--retryCount", "0"]
        argv += ["--jobStore", str(Path(scratch) / "jobstore"), "--outdir", str(outdir), "--workDir", scratch]
        argv += ["--no-container"] if command is not None else []
        argv += [f"{target}#{process_id}", str(job_path)]
        proc = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=timeout, check=False)
    text = proc.stdout.strip()
    outputs = json.loads(text) if proc.returncode == 0 and text.startswith("{") else {}
    return CwlRun(proc.returncode, outputs, proc.stderr)


def failed_step(log: str) -> str | None:
    """The first workflow step cwltool reports as failed, or None."""
    match = re.search(r"\[step ([^\]]+)\] completed permanentFail", log)
    return match.group(1) if match else None


def toil_failed_job(log: str) -> str | None:
    """The name of the first job Toil reports as failed (`<workflow>.<step or scatter index>.<tool id>`)."""
    match = re.search(r"Job failed with exit value \d+: 'CWLJob' (\S+)", log)
    return match.group(1) if match else None


def first_error(log: str) -> str:
    """The tool's own `error: ...` line from cwltool's log, else cwltool's last line."""
    lines = [line.strip() for line in log.splitlines() if line.strip()]
    for line in lines:
        if line.startswith("error: "):
            return line
    return lines[-1] if lines else "no output"
