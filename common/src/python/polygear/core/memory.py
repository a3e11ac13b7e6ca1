"""Peak memory of this process, measured the same way in the KLMS metrics and the benchmarks."""

from __future__ import annotations

import contextlib
import ctypes
import resource


def peak_rss_mb() -> float:
    """This process's peak resident set size in MB.

    Linux's VmHWM belongs to the process image, whereas getrusage's ru_maxrss survives fork and
    exec, so a small child of a large parent would report the parent's peak.
    """
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)  # KiB on Linux


def release_free_memory() -> None:
    """Hand memory that a finished phase freed back to the OS, so the next phase's peak does not
    stack on it. glibc keeps blocks freed by worker threads (parallel staging) in per-thread arenas,
    counted in the resident set until trimmed; other C libraries (musl, macOS) have no malloc_trim."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)
