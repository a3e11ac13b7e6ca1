"""csv-profiler rows/s and peak RSS on a generated large CSV.

    ./pants run gears/csv-profiler/bench/bench_profile.py -- --size-mb 1024

Runs profile_table (and the report) in its own process and prints rows/s, MB/s and peak RSS.
Target (issue): peak RSS <= 500 MB. Figures only; nothing is asserted.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
from pathlib import Path

from polygear.dev.benchmarks import generate_visits_csv, run_child

CHILD = r"""
import json, sys, time
from polygear.core.memory import peak_rss_mb
from pathlib import Path
from csv_profiler_app.main import profile_table, write_report
src, out = Path(sys.argv[1]), Path(sys.argv[2])
t = time.perf_counter()
profile = profile_table(src)
profiled = time.perf_counter() - t
write_report(profile, out, src.stem)
print(json.dumps({"rows": profile["rows"], "seconds": profiled, "with_report": time.perf_counter() - t,
                  "peak_rss_mb": peak_rss_mb()}))
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size-mb", type=int, default=1024)
    ap.add_argument("--workdir", default=None)
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="csv-profiler-bench-", dir=args.workdir))
    try:
        src = work / "big.csv"
        size = generate_visits_csv(src, args.size_mb)
        r = run_child(CHILD, str(src), str(work))
        print(f"file {size / 1e6:.0f} MB, {r['rows']} rows")
        print(
            f"csv-profiler  {r['rows'] / r['seconds']:,.0f} rows/s  {size / 1e6 / r['seconds']:.1f} MB/s  "
            f"{r['seconds']:.1f} s (+report {r['with_report'] - r['seconds']:.1f} s)  peak RSS {r['peak_rss_mb']:.0f} MB (target <= 500)"
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
