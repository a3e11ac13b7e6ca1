"""Which container engine can run images here: Docker when its daemon answers, else podman."""

from __future__ import annotations

import shutil
import subprocess


def container_engine() -> str | None:
    """Path of `docker` if a daemon answers, else of `podman` if installed; None otherwise."""
    docker = shutil.which("docker")
    if docker and subprocess.run([docker, "info"], capture_output=True, check=False).returncode == 0:
        return docker
    return shutil.which("podman")
