"""A local CCP executor: one Method execution through CCP's lifecycle, recorded like CCP records it.

    Launch -> Deploy -> Execute -> Fetch -> Undeploy -> Destroy

Launch prepares a runtime per replica (`runtimes`), Deploy and Execute run the Method's scripts
(Execute bounded by `ccpmaxtime`), Fetch copies every replica's /ccp_data/output into the execution
folder (`execution`), Undeploy runs its script, Destroy removes the runtimes and kills whatever the
scripts left running. A failure in any phase jumps straight to Destroy, which always runs, so a
local run cleans up as the platform does. `cancel()` (the command line calls it on SIGTERM) kills
the running process groups, runs the Method's cancel-script, marks the execution `dismissed` and
then still destroys. The execution is `successful` only when every replica succeeded in every phase.

Inputs reach the scripts only through `templating` (each value escaped for where it sits); they
are checked against the Method by `binding` before the executor is even built.
"""

from __future__ import annotations

import shutil
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from polygear.ccp import runtimes, templating
from polygear.ccp.binding import BoundInputs
from polygear.ccp.execution import DISMISSED, FAILED, RUNNING, SUCCESSFUL, ExecutionFolder, JobStatus, now
from polygear.ccp.methodfile import MethodDoc
from polygear.ccp.processes import CANCELLED, SUCCEEDED, TIMED_OUT, Outcome, Running, wait_all
from polygear.ccp.runtimes import ContainerRuntime, LocalRuntime, Runtime, Workspace
from polygear.core.errors import UserError

LAUNCH, FETCH, UNDEPLOY, DESTROY, CANCEL = "launch", "fetch", "undeploy", "destroy", "cancel"
TIMED_PHASES = ("execute", "deploy+execute")
LOGGED_PHASES = (LAUNCH, "deploy", "execute", "deploy+execute", UNDEPLOY, CANCEL)
CANCEL_TIMEOUT_S = 60.0


@dataclass(frozen=True)
class Failure:
    """Why an execution did not succeed: `status` is `failed` or `dismissed`."""

    status: str
    phase: str
    message: str
    replica: int | None = None
    exit_code: int | None = None


def _script_name(phase: str) -> str:
    return f"{phase}-script"


class Executor:
    """Runs one execution of `method` with checked `inputs`, writing the execution folder `out`."""

    def __init__(
        self,
        method: MethodDoc,
        inputs: BoundInputs,
        out: Path,
        container: bool = False,
        host_paths: Mapping[str, str] | None = None,
    ) -> None:
        self.method = method
        # Local runs only: image paths (/bin/run, /flywheel/v0/manifest.json) -> files on this machine.
        self.host_paths = dict(host_paths or {})
        self.inputs = inputs
        self.folder = ExecutionFolder(out)
        self.container = container
        self.job_id = str(uuid.uuid4())
        self.status = JobStatus(
            self.job_id, method.id, inputs.note, inputs.replicas, "container" if container else "local"
        )
        self._cancelled = threading.Event()

    def cancel(self) -> None:
        """Ask the running execution to stop (safe from a signal handler or another thread)."""
        self._cancelled.set()

    def script(self, phase: str, ccp_data: str) -> str:
        """The phase's script with /ccp_data pointing at `ccp_data` and every placeholder filled."""
        name = _script_name(phase)
        text = templating.with_ccp_data(templating.script_text(self.method.scripts[name]), ccp_data)
        if not self.container:
            text = templating.with_host_paths(text, self.host_paths)
        return templating.render(text, self.inputs.texts, self.method.where(f"additionalParameters.{name}"))

    def _runtime(self, workspace: Workspace) -> Runtime:
        if not self.container:
            return LocalRuntime(workspace, self.job_id, self.script)
        return ContainerRuntime(workspace, self.job_id, self.script, runtimes.container_engine(), self.method.image)

    def run(self) -> JobStatus:
        """The whole lifecycle; returns the final status (also in the folder's jobStatus.json)."""
        self.folder.create()
        self.folder.write_json("request.json", self.inputs.request_document())
        self.folder.write_json("method.json", self.method.data)
        self.folder.write_status(self.status)
        workspace = Workspace.create()
        failure: Failure | None = Failure(
            FAILED, "executor", "the executor stopped unexpectedly (see its error output)"
        )
        runtime: Runtime | None = None
        try:
            runtime = self._runtime(workspace)
            failure = self._lifecycle(runtime)
        except UserError as exc:  # no container engine: a failed Launch, not a crash
            failure = Failure(FAILED, LAUNCH, f"launch failed: {exc}")
        finally:
            self._destroy(runtime)
            self._finish(failure, workspace)
            shutil.rmtree(workspace.root, ignore_errors=True)
        return self.status

    def _steps(self, runtime: Runtime) -> list[tuple[str, Callable[[Runtime], Failure | None]]]:
        main = [(phase, self._scripted(phase)) for phase in runtime.main_phases]
        return [(LAUNCH, self._launch), *main, (FETCH, self._fetch), (UNDEPLOY, self._scripted(UNDEPLOY))]

    def _lifecycle(self, runtime: Runtime) -> Failure | None:
        self.status.status, self.status.started, self.status.message = RUNNING, now(), "running"
        for phase, step in self._steps(runtime):
            if self._cancelled.is_set():
                return self._dismiss(runtime, phase)
            self._begin(phase)
            failure = step(runtime)
            self._end(phase, failure)
            if self._cancelled.is_set() or (failure and failure.status == DISMISSED):
                return self._dismiss(runtime, phase)
            if failure:
                return failure
        return None

    def _begin(self, phase: str) -> None:
        self.status.phases[phase] = {"started": now()}
        self.status.message = f"{phase} running"
        self.folder.write_status(self.status)

    def _end(self, phase: str, failure: Failure | None) -> None:
        record = self.status.phases[phase]
        record["finished"] = now()
        record["outcome"] = failure.status if failure else SUCCESSFUL
        self.folder.write_status(self.status)

    def _launch(self, runtime: Runtime) -> Failure | None:
        runs = runtime.launch(self.inputs.replicas)
        return self._judge(runtime, LAUNCH, wait_all(runs, None, self._cancelled))

    def _scripted(self, phase: str) -> Callable[[Runtime], Failure | None]:
        def step(runtime: Runtime) -> Failure | None:
            limit = self.inputs.max_time if phase in TIMED_PHASES else None
            deadline = time.monotonic() + limit if limit is not None else None
            return self._judge(runtime, phase, self._run_all(runtime, phase, deadline, self._cancelled))

        return step

    def _run_all(self, runtime: Runtime, phase: str, deadline: float | None, stop: threading.Event) -> list[Outcome]:
        runs: list[Running] = []
        for n in range(1, self.inputs.replicas + 1):
            run = runtime.start(phase, n)
            if run is not None:
                runs.append(run)
        return wait_all(runs, deadline, stop)

    def _judge(self, runtime: Runtime, phase: str, outcomes: list[Outcome]) -> Failure | None:
        bad = [o for o in outcomes if o.result != SUCCEEDED]
        if not bad:
            return None
        first = bad[0]
        more = f" (and {len(bad) - 1} more replica(s))" if len(bad) > 1 else ""
        if first.result == CANCELLED:
            return Failure(DISMISSED, phase, f"cancelled during {phase}")
        if first.result == TIMED_OUT:
            limit = f"ccpmaxtime of {self.inputs.max_time:g} s"
            message = f"{phase}: replica {first.replica} exceeded {limit}; its processes were killed{more}"
            return Failure(FAILED, phase, message, first.replica)
        where = runtime.failed_phase(phase, first.replica)
        message = f"{where} failed: replica {first.replica} exited with code {first.exit_code}{more}"
        return Failure(FAILED, where, message, first.replica, first.exit_code)

    def _fetch(self, runtime: Runtime) -> Failure | None:
        try:
            for n in range(1, self.inputs.replicas + 1):
                self.folder.store_outputs(n, runtime.output_dir(n))
        except OSError as exc:
            return Failure(FAILED, FETCH, f"fetch failed: {exc}")
        return None

    def _dismiss(self, runtime: Runtime, phase: str) -> Failure:
        """Kill everything still running, then give the Method's cancel-script its chance."""
        runtime.kill_all()
        self._begin(CANCEL)
        deadline = time.monotonic() + CANCEL_TIMEOUT_S
        outcomes = self._run_all(runtime, CANCEL, deadline, threading.Event())
        failure = self._judge(runtime, CANCEL, outcomes)
        self._end(CANCEL, failure)
        note = "" if failure is None else f"; {failure.message}"
        return Failure(DISMISSED, phase, f"dismissed during {phase}: cancel-script ran{note}")

    def _destroy(self, runtime: Runtime | None) -> None:
        self._begin(DESTROY)
        outcome: Failure | None = None
        try:
            if runtime is not None:
                runtime.destroy()
        except Exception as exc:  # the record must still be written; the error is reported in it
            outcome = Failure(FAILED, DESTROY, f"destroy failed: {exc}")
        self._end(DESTROY, outcome)

    def _log_sections(self, workspace: Workspace, stream: str) -> list[tuple[str, Path]]:
        replicas = range(1, self.inputs.replicas + 1)
        return [(f"{phase} {n}", workspace.log(phase, n, stream)) for phase in LOGGED_PHASES for n in replicas]

    def _finish(self, failure: Failure | None, workspace: Workspace) -> None:
        for stream in ("stdout", "stderr"):
            self.folder.write_logs(self._log_sections(workspace, stream), stream)
        self.folder.write_zip()
        status = self.status
        if failure is None:
            status.status, status.message = SUCCESSFUL, f"successful: {self.inputs.replicas} replica(s), see outputs/"
        else:
            status.status, status.message = failure.status, failure.message
            status.failure = {"phase": failure.phase, "replica": failure.replica, "exitCode": failure.exit_code}
        status.finished = now()
        self.folder.write_status(status)
