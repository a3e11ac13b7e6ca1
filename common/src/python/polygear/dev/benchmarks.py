"""Benchmark helpers: realistic large CSV files made on demand (never committed), and measured
child processes."""

from __future__ import annotations

import hashlib
import json
import os
import random
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

HEADER = "subject,site,visit,date,score,weight,on_treatment,notes\n"


def generate_visits_csv(path: Path, size_mb: int, sites: int = 50, seed: int = 42) -> int:
    """Write about `size_mb` MiB of clinical-visit-like rows (mixed types, quoted text); returns bytes."""
    rng = random.Random(seed)
    site_names = [f"site-{i:03d}" for i in range(sites)]
    target = size_mb * 1024 * 1024
    with open(path, "w", encoding="utf-8", newline="") as fh:
        fh.write(HEADER)
        written, n = 0, 0
        while written < target:
            lines = []
            for _ in range(10000):
                n += 1
                score = f"{rng.random() * 100:.3f}" if n % 17 else ""
                lines.append(
                    f"S{n:09d},{site_names[rng.randrange(sites)]},{n % 12},2024-{1 + n % 12:02d}-{1 + n % 28:02d},"
                    f"{score},{50 + rng.random() * 50:.1f},{'true' if n % 3 else 'false'},"
                    f'"free text, with a comma {n % 97}"\n'
                )
            chunk = "".join(lines)
            fh.write(chunk)
            written += len(chunk)
    return path.stat().st_size


def run_child(code: str, *args: str) -> dict[str, Any]:
    """Run `code` in a fresh interpreter with this process's import path and return the JSON it
    prints last: each measurement gets its own process, so its peak memory is its own."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    proc = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, env=env, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"measurement {args[:2]} failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


# Peers (polars, DuckDB, pandas...) live in a virtual environment of their own, made once and cached:
# they are what a data engineer would pick instead, measured beside our tools, never a dependency of them.
PEERS_HOME = Path(os.environ.get("POLYGEAR_BENCH_PEERS", Path.home() / ".cache" / "polygear" / "bench-peers"))
# Read from the peer's own /proc entry: the same figure as polygear.core.memory, without importing polygear.
PEER_RSS = (
    "def peak_rss_mb():\n"
    "    for line in open('/proc/self/status'):\n"
    "        if line.startswith('VmHWM:'):\n"
    "            return round(int(line.split()[1]) / 1024, 1)\n"
)


def peer_python(*requirements: str) -> Path:
    """The interpreter of a cached venv holding `requirements` (created on first use, with pip)."""
    key = hashlib.sha256("\n".join(sorted(requirements)).encode()).hexdigest()[:12]
    home = PEERS_HOME / key
    python = home / "bin" / "python"
    if not (home / ".complete").exists():
        shutil.rmtree(home, ignore_errors=True)
        base = shutil.which("python3.11") or sys.executable
        print(f"installing benchmark peers into {home}: {' '.join(requirements)}", flush=True)
        subprocess.run([base, "-m", "venv", str(home)], check=True)
        env = dict(os.environ, PIP_CONFIG_FILE=os.devnull)
        subprocess.run([str(python), "-m", "pip", "install", "-q", *requirements], check=True, env=env)
        (home / ".complete").touch()
    return python


def run_peer(python: Path, code: str, *args: str) -> dict[str, Any]:
    """Like `run_child`, in a peer's venv: `code` prints one JSON line last (use `PEER_RSS`)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "PEX"))}
    proc = subprocess.run([str(python), "-c", code, *args], capture_output=True, text=True, env=env, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"peer measurement {args[:2]} failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result
