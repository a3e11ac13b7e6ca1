"""Start-up of every tool: its pex outside an image (fresh PEX_ROOT, then warm) and its image.

    ./pants package :: && ./pants run common/bench/bench_startup.py [-- --repeat 3]

`/bin/run --help` is timed, which loads the entry point and the manifest but no computation (tools
import numpy/polars inside `compute`, so help and argument errors stay instant). In an image the
time is taken inside the container (`date` before and after), so the engine's own start is not
counted; "first" is the first run in a new container, the venv having been built at image build.
Goals (issue): image first run <= 0.3 s; pex on a fresh PEX_ROOT <= 1 s. Figures only.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from polygear.core.containers import container_engine
from polygear.dev.workspace import find_root, pex_output_path

IN_CONTAINER = (
    "s=$(date +%s%N); /bin/run --help >/dev/null; m=$(date +%s%N); /bin/run --help >/dev/null; e=$(date +%s%N); "
    'echo "$(( (m - s) / 1000 )) $(( (e - m) / 1000 ))"'
)


def pex_times(pex: Path, repeat: int) -> tuple[float, float]:
    """(median first run on a fresh PEX_ROOT, median warm run), seconds."""
    first: list[float] = []
    warm: list[float] = []
    for _ in range(repeat):
        root = Path(tempfile.mkdtemp(prefix="bench-pex-root-"))
        try:
            env = {"PATH": "/usr/bin:/bin:/usr/local/bin", "PEX_ROOT": str(root)}
            for bucket in (first, warm):
                t = time.perf_counter()
                subprocess.run([str(pex), "--help"], env=env, capture_output=True, check=True)
                bucket.append(time.perf_counter() - t)
        finally:
            shutil.rmtree(root, ignore_errors=True)
    return statistics.median(first), statistics.median(warm)


def image_times(engine: str, image: str, repeat: int) -> tuple[float, float] | None:
    first: list[float] = []
    second: list[float] = []
    for _ in range(repeat):
        cmd = [engine, "run", "--rm", "--entrypoint", "sh", image, "-c", IN_CONTAINER]
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            return None
        a, b = proc.stdout.split()[-2:]
        first.append(int(a) / 1e6)
        second.append(int(b) / 1e6)
    return statistics.median(first), statistics.median(second)


def image_size(engine: str, image: str) -> float | None:
    proc = subprocess.run([engine, "image", "inspect", "--format", "{{.Size}}", image], capture_output=True, text=True)
    return int(proc.stdout.strip()) / 1e6 if proc.returncode == 0 else None


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    root = find_root()
    engine = container_engine()
    print(
        f"{'tool':18s} {'pex MB':>7s} {'pex fresh':>10s} {'pex warm':>9s} {'image MB':>9s} {'image 1st':>10s} {'2nd':>6s}"
    )
    for manifest in sorted(root.glob("gears/*/src/docker/manifest.json")):
        tool = manifest.parents[2].name
        pex = root / "dist" / pex_output_path(tool)
        if not pex.is_file():
            print(f"{tool:18s} not built: ./pants package gears/{tool}::")
            continue
        fresh, warm = pex_times(pex, args.repeat)
        image = json.loads(manifest.read_text())["custom"]["gear-builder"]["image"]
        size = timed = None
        if engine:
            size = image_size(engine, image)
            timed = image_times(engine, image, args.repeat) if size is not None else None
        isize = f"{size:9.0f}" if size is not None else f"{'n/a':>9s}"
        itimes = f"{timed[0]:9.2f}s {timed[1]:5.2f}s" if timed else f"{'n/a':>10s} {'':>6s}"
        print(f"{tool:18s} {pex.stat().st_size / 1e6:7.0f} {fresh:9.2f}s {warm:8.2f}s {isize} {itimes}")
    print("goals: image first run <= 0.3 s; pex on a fresh PEX_ROOT <= 1 s (both `/bin/run --help`)")


if __name__ == "__main__":
    main()
