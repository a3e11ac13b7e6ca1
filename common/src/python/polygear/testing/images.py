"""Built artifacts in a test sandbox: a tool's pex, and its image built from the files under test.

Tests build the tool's real Dockerfile FROM the real tool base, from the very pex and manifest in
their sandbox, so the image under test always matches the code under test (a stale `./pants
package` image cannot). Container tests skip, with the reason, when no engine is available.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import tempfile
import zipfile
from collections.abc import Sequence
from pathlib import Path

from polygear.core.containers import container_engine
from polygear.dev.workspace import pex_output_path

__all__ = ["build_tool_image", "container_engine", "find_built", "pex_distributions", "tool_pex"]

BASE_DOCKERFILE = "common/src/docker/Dockerfile"
BASE_CONTEXT = (BASE_DOCKERFILE, "common/src/klms/run.sh")


def find_built(relpath: str) -> Path:
    """A packaged artifact placed in the test sandbox by `runtime_package_dependencies`."""
    path = Path(relpath)
    if not path.is_file():
        raise FileNotFoundError(f"{relpath} is not in the sandbox: add it to runtime_package_dependencies")
    return path


def tool_pex(tool: str) -> Path:
    """The tool's pex as `./pants package` builds it (dist/pex/<tool>.pex), in the test sandbox."""
    return find_built(pex_output_path(tool))


def pex_distributions(pex: Path) -> list[str]:
    """The wheel file names a pex carries (from its PEX-INFO): which platforms it can run on."""
    with zipfile.ZipFile(pex) as zf:
        info = json.loads(zf.read("PEX-INFO"))
    return sorted(info.get("distributions", {}))


def _build(engine: str, dockerfile: str, files: Sequence[str], tag: str, args: dict[str, str], timeout: float) -> None:
    with tempfile.TemporaryDirectory(prefix="polygear-image-ctx-") as ctx:
        for rel in files:
            dest = Path(ctx) / rel
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(rel, dest)
        cmd = [engine, "build", "-q", "-f", str(Path(ctx) / dockerfile), "-t", tag]
        if Path(engine).name == "podman":
            cmd += ["--format", "docker"]  # the OCI format drops the tool base's ONBUILD steps
        for key, value in args.items():
            cmd += ["--build-arg", f"{key}={value}"]
        proc = subprocess.run([*cmd, ctx], capture_output=True, text=True, timeout=timeout, check=False)
        if proc.returncode != 0:
            raise RuntimeError(
                f"{engine} build of {dockerfile} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}"
            )


def build_tool_image(engine: str, tool: str, tag: str, timeout: float = 900) -> None:
    """Build the tool base, then `gears/<tool>/src/docker/Dockerfile` FROM it, as Pants would."""
    base_args = {"BASE_IMAGE": os.environ["BASE_IMAGE"]} if os.environ.get("BASE_IMAGE") else {}
    digest = hashlib.sha256(b"".join(Path(f).read_bytes() for f in BASE_CONTEXT)).hexdigest()[:16]
    base_tag = f"localhost/polygear-test-tool-base:{digest}"
    _build(engine, BASE_DOCKERFILE, BASE_CONTEXT, base_tag, base_args, timeout)
    docker = f"gears/{tool}/src/docker"
    files = [f"{docker}/Dockerfile", f"{docker}/manifest.json", pex_output_path(tool)]
    _build(engine, files[0], files, tag, {"TOOL": tool, "TOOL_BASE": base_tag}, timeout)
