"""Where a Method's scripts run: a local process sandbox, or a container of its `ccpimage`.

Both give each replica its own `/ccp_data` (a folder under a private work root), so replicas never
share an output folder, and both start every script as its own process group (see `processes`).

- `LocalRuntime` (`--no-container`): `/ccp_data` in the scripts' text is rewritten to the replica's
  sandbox folder and `CCP_DATA` names it; each script runs with `/bin/sh` in the replica's work
  folder (deploy and execute share it, as they share the container's working directory on CCP).
- `ContainerRuntime`: Launch creates one container per replica from `ccpimage` with the sandbox
  mounted at `/ccp_data`; the deploy and execute scripts, merged into `/ccp_data/ccp-entrypoint.sh`,
  are its command, so they run in the same container like on CCP (`ccpmaxtime` then bounds both).
  Undeploy and cancel run in a fresh container of the same image on the same `/ccp_data`;
  Destroy removes the containers. The engine is `docker` when `docker info` works, else `podman`.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from polygear.ccp.processes import Running, kill_group, spawn
from polygear.core import containers
from polygear.core.errors import UserError

CCP_DATA = "/ccp_data"
ENTRYPOINT = "ccp-entrypoint.sh"
PHASE_MARKER = ".ccp-phase"  # in /ccp_data: which of deploy/execute the entrypoint reached
DESTROY_TIMEOUT_S = 120

# (script name, the path standing for /ccp_data) -> the rendered script text
ScriptSource = Callable[[str, str], str]


@dataclass(frozen=True)
class Workspace:
    """The private work root of one execution: replica sandboxes, rendered scripts, phase logs."""

    root: Path

    @classmethod
    def create(cls) -> Workspace:
        root = Path(tempfile.mkdtemp(prefix="ccp-run-"))
        (root / "logs").mkdir()
        (root / "scripts").mkdir()
        return cls(root)

    def replica(self, n: int) -> Path:
        return self.root / f"replica-{n}"

    def sandbox(self, n: int) -> Path:
        return self.replica(n) / "ccp_data"

    def workdir(self, n: int) -> Path:
        return self.replica(n) / "work"

    def log(self, phase: str, n: int, stream: str) -> Path:
        return self.root / "logs" / f"{phase}.{n}.{stream}"

    def script(self, phase: str, n: int) -> Path:
        return self.root / "scripts" / f"{phase}-{n}.sh"

    def start(self, argv: Sequence[str], phase: str, n: int, env: dict[str, str], cwd: Path) -> Running:
        proc = spawn(argv, cwd, env, self.log(phase, n, "stdout"), self.log(phase, n, "stderr"))
        return Running(n, proc)


class Runtime(Protocol):
    """What the executor needs from a runtime; phases are lifecycle names (`deploy`, `cancel`...)."""

    kind: str
    main_phases: tuple[str, ...]

    def launch(self, replicas: int) -> list[Running]: ...

    def start(self, phase: str, replica: int) -> Running | None: ...

    def failed_phase(self, phase: str, replica: int) -> str: ...

    def output_dir(self, replica: int) -> Path: ...

    def kill_all(self) -> None: ...

    def destroy(self) -> None: ...


def task_env(job_id: str, replica: int, ccp_data: str) -> dict[str, str]:
    """The variables CCP gives a replica: the execution id, the 1-based replica index, /ccp_data."""
    return {"ccptaskname": job_id, "ccptaskid": str(replica), "CCP_DATA": ccp_data}


@dataclass
class LocalRuntime:
    """Scripts as local processes in per-replica sandboxes (see module doc)."""

    workspace: Workspace
    job_id: str
    scripts: ScriptSource
    kind: str = "local"
    main_phases: tuple[str, ...] = ("deploy", "execute")
    _groups: list[int] = field(default_factory=list)
    replicas: int = 0

    def launch(self, replicas: int) -> list[Running]:
        self.replicas = replicas
        for n in range(1, replicas + 1):
            self.workspace.sandbox(n).mkdir(parents=True)
            self.workspace.workdir(n).mkdir()
        return []

    def start(self, phase: str, replica: int) -> Running | None:
        sandbox = str(self.workspace.sandbox(replica))
        text = self.scripts(phase, sandbox)
        if not text.strip():
            return None
        path = self.workspace.script(phase, replica)
        path.write_text(text, encoding="utf-8")
        env = {**os.environ, **task_env(self.job_id, replica, sandbox)}
        run = self.workspace.start(["/bin/sh", str(path)], phase, replica, env, self.workspace.workdir(replica))
        self._groups.append(run.process.pid)
        return run

    def failed_phase(self, phase: str, replica: int) -> str:
        return phase

    def output_dir(self, replica: int) -> Path:
        return self.workspace.sandbox(replica) / "output"

    def kill_all(self) -> None:
        for pid in self._groups:
            kill_group(pid)

    def destroy(self) -> None:
        """Kill what the scripts left running (as removing a container would) and drop the sandboxes."""
        self.kill_all()
        for n in range(1, self.replicas + 1):
            shutil.rmtree(self.workspace.replica(n), ignore_errors=True)


def container_engine() -> str:
    """The engine to launch with (see polygear.core.containers); tests monkeypatch this."""
    engine = containers.container_engine()
    if engine is None:
        raise UserError("container engine", "neither a working docker nor podman was found; use --no-container")
    return engine


def _env_flags(env: dict[str, str]) -> list[str]:
    flags = [flag for key, value in env.items() for flag in ("--env", f"{key}={value}")]
    # The container network, when the engine's default is not wanted (e.g. `host` to reach files
    # served on this machine's loopback, as local tests do).
    network = os.environ.get("POLYGEAR_CCP_NETWORK")
    return [*flags, f"--network={network}"] if network else flags


def create_command(engine: str, image: str, name: str, sandbox: Path, env: dict[str, str]) -> list[str]:
    """Launch: a container of the runtime image whose command is the merged deploy+execute script."""
    mount = f"{sandbox}:{CCP_DATA}"
    return [engine, "create", "--name", name, "--init", "--volume", mount, *_env_flags(env), "--entrypoint", "/bin/sh",
            image, f"{CCP_DATA}/{ENTRYPOINT}"]  # fmt: skip


def start_command(engine: str, name: str) -> list[str]:
    """Deploy+Execute: start the created container and stream its output until it exits."""
    return [engine, "start", "--attach", name]


def script_command(engine: str, image: str, name: str, sandbox: Path, env: dict[str, str], script: str) -> list[str]:
    """Undeploy or cancel: a fresh container of the same image on the same /ccp_data runs one script."""
    mount = f"{sandbox}:{CCP_DATA}"
    return [engine, "run", "--rm", "--name", name, "--init", "--volume", mount, *_env_flags(env), "--entrypoint",
            "/bin/sh", image, script]  # fmt: skip


def remove_command(engine: str, names: Sequence[str]) -> list[str]:
    """Destroy: remove the replicas' containers, running or not."""
    return [engine, "rm", "--force", *names]


def entrypoint_text(deploy: str, execute: str) -> str:
    """Deploy then execute in one shell file; each in a subshell (so `set -e` and `exit` stay its own),
    a failed deploy ending the container with its code. The marker tells the host which phase failed."""
    marker = f"{CCP_DATA}/{PHASE_MARKER}"
    return (
        f"# deploy-script then execute-script (written by polygear's CCP executor)\n"
        f"echo deploy > {marker}\n(\n{deploy})\nrc=$?\n"
        f'if [ "$rc" -ne 0 ]; then exit "$rc"; fi\n'
        f"echo execute > {marker}\n(\n{execute})\n"
    )


@dataclass
class ContainerRuntime:
    """One container per replica of the Method's `ccpimage` (see module doc)."""

    workspace: Workspace
    job_id: str
    scripts: ScriptSource
    engine: str
    image: str
    kind: str = "container"
    main_phases: tuple[str, ...] = ("deploy+execute",)
    replicas: int = 0
    _groups: list[int] = field(default_factory=list)

    def name(self, replica: int) -> str:
        return f"ccp-{self.job_id}-{replica}"

    def _env(self, replica: int) -> dict[str, str]:
        return task_env(self.job_id, replica, CCP_DATA)

    def _start(self, argv: list[str], phase: str, replica: int) -> Running:
        run = self.workspace.start(argv, phase, replica, dict(os.environ), self.workspace.root)
        self._groups.append(run.process.pid)
        return run

    def launch(self, replicas: int) -> list[Running]:
        self.replicas = replicas
        runs = []
        for n in range(1, replicas + 1):
            sandbox = self.workspace.sandbox(n)
            sandbox.mkdir(parents=True)
            text = entrypoint_text(self.scripts("deploy", CCP_DATA), self.scripts("execute", CCP_DATA))
            (sandbox / ENTRYPOINT).write_text(text, encoding="utf-8")
            argv = create_command(self.engine, self.image, self.name(n), sandbox, self._env(n))
            runs.append(self._start(argv, "launch", n))
        return runs

    def start(self, phase: str, replica: int) -> Running | None:
        if phase == "deploy+execute":
            run = self._start(start_command(self.engine, self.name(replica)), phase, replica)
            run.on_kill = lambda: self._kill_container(replica)
            return run
        text = self.scripts(phase, CCP_DATA)
        if not text.strip():
            return None
        (self.workspace.sandbox(replica) / f".ccp-{phase}.sh").write_text(text, encoding="utf-8")
        name, script = f"{self.name(replica)}-{phase}", f"{CCP_DATA}/.ccp-{phase}.sh"
        argv = script_command(
            self.engine, self.image, name, self.workspace.sandbox(replica), self._env(replica), script
        )
        return self._start(argv, phase, replica)

    def failed_phase(self, phase: str, replica: int) -> str:
        if phase != "deploy+execute":
            return phase
        marker = self.workspace.sandbox(replica) / PHASE_MARKER
        reached = marker.read_text(encoding="utf-8").strip() if marker.is_file() else "deploy"
        return reached if reached in ("deploy", "execute") else phase

    def output_dir(self, replica: int) -> Path:
        return self.workspace.sandbox(replica) / "output"

    def _kill_container(self, replica: int) -> None:
        subprocess.run([self.engine, "kill", self.name(replica)], capture_output=True, check=False, timeout=60)

    def kill_all(self) -> None:
        for pid in self._groups:
            kill_group(pid)
        for n in range(1, self.replicas + 1):
            self._kill_container(n)

    def destroy(self) -> None:
        """Remove the containers, then the sandboxes (files a root container wrote are removed by one)."""
        for pid in self._groups:
            kill_group(pid)
        names = [self.name(n) for n in range(1, self.replicas + 1)]
        if names:
            subprocess.run(
                remove_command(self.engine, names), capture_output=True, check=False, timeout=DESTROY_TIMEOUT_S
            )
        for n in range(1, self.replicas + 1):
            self._remove_sandbox(n)

    def _remove_sandbox(self, replica: int) -> None:
        try:
            shutil.rmtree(self.workspace.replica(replica))
        except OSError:
            argv = script_command(self.engine, self.image, f"{self.name(replica)}-destroy", self.workspace.sandbox(replica),
                                  {}, "-c")  # fmt: skip
            argv += [f"rm -rf {CCP_DATA}/* {CCP_DATA}/.[!.]*"]
            subprocess.run(argv, capture_output=True, check=False, timeout=DESTROY_TIMEOUT_S)
            shutil.rmtree(self.workspace.replica(replica), ignore_errors=True)
