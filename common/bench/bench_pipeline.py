"""What cwltool and Toil add per step over running the same pexes by hand, for the 3-step csv-quality
pipeline (schema-validator -> csv-splitter -> csv-profiler on each of the 3 parts: 5 tool runs).

    ./pants package gears::
    ./pants run common/bench/bench_pipeline.py -- [--runs 3]

By hand: each pex in its command-line mode, one after the other, as a shell script would. Then the
compiled Workflow with cwltool (in-process) and with Toil (single machine), each step its pex (no
container). One warm PEX_ROOT for all. Prints medians; asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from polygear.dev.pipeline_run import pipeline_job, run_pipeline
from polygear.dev.workspace import find_root, pex_output_path
from polygear.sd2e.definition import resolve, tools_by_image

TOOLS = ("schema-validator", "csv-splitter", "csv-profiler")
TABLE = "pipelines/test/data/measurements.csv"
SCHEMA = "pipelines/test/data/measurement.schema.json"


def run(argv: list[str]) -> None:
    subprocess.run(argv, check=True, capture_output=True)


def by_hand(pex: dict[str, str], out: Path) -> float:
    started = time.perf_counter()
    run(
        [
            pex["schema-validator"],
            "--output-dir",
            str(out / "s0"),
            "-c",
            "max_errors=50",
            "-i",
            f"records={TABLE}",
            "-i",
            f"schema={SCHEMA}",
        ]
    )
    run([pex["csv-splitter"], "--output-dir", str(out / "s1"), "-c", "column=site", "-i", f"table={TABLE}"])
    for i, part in enumerate(sorted((out / "s1").glob("*.csv"))):
        run(
            [
                pex["csv-profiler"],
                "--output-dir",
                str(out / "s2" / str(i)),
                "-c",
                "bins=10",
                "-c",
                "top_n=5",
                "-i",
                f"table={part}",
            ]
        )
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    root = find_root()
    os.chdir(root)
    pex = {name: str(root / "dist" / pex_output_path(name)) for name in TOOLS}
    missing = [p for p in pex.values() if not Path(p).is_file()]
    if missing:
        raise SystemExit(f"not built: {', '.join(missing)}; run ./pants package gears::")
    pipeline = resolve(
        Path("pipelines/csv-quality.yaml"), tools_by_image(sorted(root.glob("gears/*/src/docker/manifest.json")))
    )
    job = pipeline_job(pipeline, [f"table={TABLE}", f"schema={SCHEMA}"])
    with tempfile.TemporaryDirectory(prefix="bench-pipeline-") as scratch:
        os.environ.setdefault("PEX_ROOT", str(Path(scratch) / "pex-root"))
        by_hand(pex, Path(scratch) / "warm")  # unpack every pex once
        times: dict[str, list[float]] = {"by hand": [], "cwltool": [], "toil": []}
        for i in range(args.runs):
            times["by hand"].append(by_hand(pex, Path(scratch) / f"hand-{i}"))
            for runner in ("cwltool", "toil"):
                started = time.perf_counter()
                run_pipeline(
                    pipeline, job, Path(scratch) / f"{runner}-{i}", {k: Path(v) for k, v in pex.items()}, runner=runner
                )
                times[runner].append(time.perf_counter() - started)
    base = statistics.median(times["by hand"])
    print(f"csv-quality: 3 steps, 5 tool runs; median of {args.runs}")
    print(f"{'runner':<10} {'total s':>8} {'overhead s':>11} {'per step s':>11} {'per tool run s':>15}")
    for name, values in times.items():
        total = statistics.median(values)
        extra = total - base
        print(f"{name:<10} {total:>8.2f} {extra:>11.2f} {extra / 3:>11.2f} {extra / 5:>15.2f}")


if __name__ == "__main__":
    main()
