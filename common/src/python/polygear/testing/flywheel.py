"""Helpers for gear tests: run a gear's built pex or image the way Flywheel would.

Tests of every gear go through the same public entry points users touch (the pex's /bin/run
contract, the image), so these helpers build the /flywheel/v0 folder with `gear_dir` and run
the real artifact. Container tests skip, with the reason, when no engine or image is available.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from polygear.flywheel.gear_dir import build_gear_dir

__all__ = ["GearRun", "run_image", "run_pex"]


@dataclass
class GearRun:
    returncode: int
    stdout: str
    stderr: str
    gear_dir: Path

    @property
    def output_dir(self) -> Path:
        return self.gear_dir / "output"

    def outputs(self) -> list[str]:
        return sorted(p.relative_to(self.output_dir).as_posix() for p in self.output_dir.rglob("*") if p.is_file())


def run_pex(
    pex: Path,
    manifest: Path,
    tmp: Path,
    config: Sequence[str] = (),
    inputs: Sequence[str] = (),
    api_key: str | None = None,
    timeout: float = 600,
) -> GearRun:
    gear_dir = build_gear_dir(manifest, tmp / "v0", config, inputs, api_key)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PEX_")}
    env.setdefault("PEX_ROOT", str(tmp / "pex_root"))
    proc = subprocess.run(
        [str(pex), "--gear-dir", str(gear_dir)], capture_output=True, text=True, env=env, timeout=timeout, check=False
    )
    return GearRun(proc.returncode, proc.stdout, proc.stderr, gear_dir)


def run_image(
    engine: str,
    image: str,
    manifest: Path,
    tmp: Path,
    config: Sequence[str] = (),
    inputs: Sequence[str] = (),
    timeout: float = 600,
) -> GearRun:
    gear_dir = build_gear_dir(manifest, tmp / "v0", config, inputs, container_root="/flywheel/v0").resolve()
    cmd = [engine, "run", "--rm", "--network=none"]
    for sub, mode in (("config.json", "ro"), ("input", "ro"), ("output", "rw"), ("work", "rw")):
        if (gear_dir / sub).exists():
            cmd += ["-v", f"{gear_dir / sub}:/flywheel/v0/{sub}:{mode}"]
    proc = subprocess.run([*cmd, image], capture_output=True, text=True, timeout=timeout, check=False)
    return GearRun(proc.returncode, proc.stdout, proc.stderr, gear_dir)
