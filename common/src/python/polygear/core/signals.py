"""Stopping cleanly on SIGTERM and SIGINT.

`docker stop` sends SIGTERM to the container's PID 1 and a cluster does the same on cancel; Python's
default action kills the process on the spot, so no `finally` runs: staged outputs, uploaded
objects and temporary data would be left behind. Inside `cancellable()` the signal raises
`Cancelled` instead, which unwinds through every cleanup on its way out. It derives from
BaseException so that a tool's `except Exception` cannot swallow it.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

HANDLED = (signal.SIGTERM, signal.SIGINT)


class Cancelled(BaseException):
    """The run was stopped by a signal; `exit_code` is the shell's convention, 128 + signal number."""

    def __init__(self, signum: int) -> None:
        self.signal_name = signal.Signals(signum).name
        self.exit_code = 128 + signum
        super().__init__(f"cancelled by {self.signal_name}")


def _raise(signum: int, frame: FrameType | None) -> None:
    raise Cancelled(signum)


@contextmanager
def cancellable() -> Iterator[None]:
    """Turn SIGTERM/SIGINT into `Cancelled` for the duration (main thread only; elsewhere a no-op)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {s: signal.signal(s, _raise) for s in HANDLED}
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
