"""Which container engine can run images here: Docker when its daemon answers, else podman.

The one rule in Python (shell code asks build-support/container/engine.sh, which applies the same):
developer commands, tests and the CCP executor's container runtime all ask this function.
"""

from __future__ import annotations

import shutil
import subprocess

# `docker info` against a daemon that hangs must not hang the caller.
PROBE_TIMEOUT_S = 20


def container_engine() -> str | None:
    """Path of `docker` if a daemon answers, else of `podman` if installed; None otherwise."""
    docker = shutil.which("docker")
    if docker:
        try:
            probe = subprocess.run(
                [docker, "info"], capture_output=True, timeout=PROBE_TIMEOUT_S, check=False, stdin=subprocess.DEVNULL
            )
        except subprocess.TimeoutExpired:
            probe = None
        if probe is not None and probe.returncode == 0:
            return docker
    return shutil.which("podman")
