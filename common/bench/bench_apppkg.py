"""Application packages: generation time for every tool, and what cwltool adds over the bare pex run.

    ./pants package gears::
    ./pants run common/bench/bench_apppkg.py -- [--runs 3]

For each tool: the median wall time of generating every descriptor (CWL, ogcapppkg, CCP Method) for
all tools (target: < 2 s in all), then per tool the bare pex in its command-line mode
(`dist/pex/<tool>.pex --output-dir ...`) next to the same job run by cwltool from the committed
package (`--no-container`, the pex as /bin/run), on the tool's test data. Prints figures; asserts
nothing. Both runs share one warm PEX_ROOT, so the difference is cwltool's own cost.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from polygear.apppkg import cwl, ogcapppkg
from polygear.apppkg.paths import cwl_path
from polygear.ccp.method import method_for, render
from polygear.core.spec import ToolSpec
from polygear.dev.cwl_run import job_document, run_package
from polygear.dev.workspace import find_root, pex_output_path

# tool -> (-c words, -i words relative to the repository root): each tool's test data.
JOBS = {
    "column-report": (["column=weight_kg"], ["table=gears/column-report/test/data/measurements.csv"]),
    "csv-profiler": (["bins=5"], ["table=gears/csv-profiler/test/data/visits.csv"]),
    "csv-splitter": (["column=site"], ["table=gears/csv-splitter/test/data/visits.csv"]),
    "schema-validator": (
        [],
        [
            "records=gears/schema-validator/test/data/participants_valid.json",
            "schema=gears/schema-validator/test/data/participant.schema.json",
        ],
    ),
}


def generate_all(manifests: list[Path]) -> float:
    started = time.perf_counter()
    for manifest in manifests:
        spec = ToolSpec.load(manifest)
        document = cwl.package_for(spec)
        cwl.render(document, str(manifest))
        ogcapppkg.render(ogcapppkg.deploy_document(spec, document))
        render(method_for(spec))
    return time.perf_counter() - started


def bare_run(pex: Path, config: list[str], inputs: list[str], out: Path) -> float:
    argv = [str(pex), "--output-dir", str(out)]
    for word in config:
        argv += ["-c", word]
    for word in inputs:
        argv += ["-i", word]
    started = time.perf_counter()
    subprocess.run(argv, check=True, capture_output=True)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    root = find_root()
    os.chdir(root)
    manifests = sorted(root.glob("gears/*/src/docker/manifest.json"))
    gen = statistics.median(generate_all(manifests) for _ in range(args.runs))
    print(f"generate every descriptor for {len(manifests)} tools: {gen * 1000:.0f} ms (median of {args.runs})")
    print(f"{'tool':<18} {'bare pex s':>10} {'cwltool s':>10} {'overhead s':>10}")
    with tempfile.TemporaryDirectory(prefix="bench-apppkg-") as scratch:
        os.environ.setdefault("PEX_ROOT", str(Path(scratch) / "pex-root"))
        for tool, (config, inputs) in JOBS.items():
            pex = root / "dist" / pex_output_path(tool)
            manifest = root / "gears" / tool / "src" / "docker" / "manifest.json"
            if not pex.is_file():
                print(f"{tool:<18} (no dist/{pex_output_path(tool)}: run ./pants package gears/{tool}::)")
                continue
            spec = ToolSpec.load(manifest)
            bare_run(pex, config, inputs, Path(scratch) / f"{tool}-warm")  # unpack the pex once
            bare, wrapped = [], []
            for i in range(args.runs):
                bare.append(bare_run(pex, config, inputs, Path(scratch) / f"{tool}-bare-{i}"))
                started = time.perf_counter()
                run = run_package(
                    cwl_path(manifest, tool),
                    spec,
                    job_document(spec, config, inputs),
                    Path(scratch) / f"{tool}-cwl-{i}",
                    pex=pex,
                )
                wrapped.append(time.perf_counter() - started)
                if run.exit_code != 0:
                    raise SystemExit(f"{tool}: the cwltool run failed:\n{run.log}")
            b, w = statistics.median(bare), statistics.median(wrapped)
            print(f"{tool:<18} {b:>10.2f} {w:>10.2f} {w - b:>10.2f}")


if __name__ == "__main__":
    main()
