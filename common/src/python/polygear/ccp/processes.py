"""Running lifecycle scripts as process groups that can be waited for, timed out and cancelled.

Every script starts in its own session (so its own process group): a time limit or a cancel kills
the group, i.e. the script *and* whatever it started (`sleep 60 &`, a server, a pipeline), as
stopping a container would. Output goes to files, not pipes: a background child that keeps a pipe
open would otherwise hold the executor until it exits. Waiting polls with a short, growing sleep so
that a no-op script costs a millisecond or two, and a cancel or a deadline is noticed within 20 ms.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

POLL_MIN_S, POLL_MAX_S = 0.001, 0.02
SUCCEEDED, FAILED, TIMED_OUT, CANCELLED = "succeeded", "failed", "timed out", "cancelled"


@dataclass
class Running:
    """One started script: which replica it serves and its process (the leader of its group)."""

    replica: int
    process: subprocess.Popen[bytes]
    on_kill: Callable[[], None] | None = None


@dataclass(frozen=True)
class Outcome:
    """How one replica's script ended: `exit_code` is None when it was killed before exiting."""

    replica: int
    result: str
    exit_code: int | None


def spawn(
    argv: Sequence[str], cwd: Path, env: Mapping[str, str], stdout: Path, stderr: Path
) -> subprocess.Popen[bytes]:
    """Start `argv` as the leader of a new process group, appending its output to two files."""
    with open(stdout, "ab") as out, open(stderr, "ab") as err:
        return subprocess.Popen(
            list(argv), cwd=cwd, env=dict(env), stdin=subprocess.DEVNULL, stdout=out, stderr=err, start_new_session=True
        )


def kill_group(pid: int) -> None:
    """SIGKILL the whole process group led by `pid` (children included); gone already is fine."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)


def _stop(run: Running) -> None:
    kill_group(run.process.pid)
    if run.on_kill is not None:
        run.on_kill()
    run.process.wait()


def _finished(run: Running) -> Outcome | None:
    code = run.process.poll()
    if code is None:
        return None
    return Outcome(run.replica, SUCCEEDED if code == 0 else FAILED, code)


def _interrupt(pending: list[Running], result: str) -> list[Outcome]:
    for run in pending:
        _stop(run)
    return [Outcome(run.replica, result, None) for run in pending]


def wait_all(runs: list[Running], deadline: float | None, cancelled: threading.Event) -> list[Outcome]:
    """Wait for every script; at `deadline` (time.monotonic) or on cancel, kill what is still running."""
    outcomes: list[Outcome] = []
    pending = list(runs)
    delay = POLL_MIN_S
    while pending:
        for run in list(pending):
            outcome = _finished(run)
            if outcome is not None:
                outcomes.append(outcome)
                pending.remove(run)
        if not pending:
            break
        if cancelled.is_set():
            outcomes += _interrupt(pending, CANCELLED)
            break
        if deadline is not None and time.monotonic() >= deadline:
            outcomes += _interrupt(pending, TIMED_OUT)
            break
        time.sleep(delay)
        delay = min(delay * 2, POLL_MAX_S)
    return sorted(outcomes, key=lambda o: o.replica)
