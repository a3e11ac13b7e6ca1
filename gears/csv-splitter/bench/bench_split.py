"""csv-splitter throughput and memory on a generated large CSV, next to a bare csv copy.

    ./pants run gears/csv-splitter/bench/bench_split.py -- --size-mb 1024

Prints MB/s and peak RSS for (a) a bare csv.reader -> csv.writer copy of the file and (b) the gear's
split_csv on the same file, each measured in its own process. Targets (issue): split throughput
>= 0.6x the bare copy, peak RSS <= 150 MB. Figures only; nothing is asserted.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from polygear.dev.benchmarks import generate_visits_csv, run_child

CHILD = r"""
import csv, json, sys, time
from polygear.core.memory import peak_rss_mb
from pathlib import Path
from typing import Any

from polygear.dev.benchmarks import generate_visits_csv, run_child
mode, src, out = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
t = time.perf_counter()
if mode == "bare":
    with open(src, encoding="utf-8", newline="") as fi, open(out / "copy.csv", "w", encoding="utf-8", newline="") as fo:
        w = csv.writer(fo, lineterminator="\n")
        for row in csv.reader(fi):
            w.writerow(row)
else:
    from csv_splitter_app.main import split_csv
    split_csv(src, out, column="site")
elapsed = time.perf_counter() - t
print(json.dumps({"seconds": elapsed, "peak_rss_mb": peak_rss_mb()}))
"""


def measure(mode: str, src: Path, work: Path) -> dict[str, Any]:
    out = work / f"out-{mode}"
    out.mkdir()
    result = run_child(CHILD, mode, str(src), str(out))
    shutil.rmtree(out)
    return result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size-mb", type=int, default=1024)
    ap.add_argument("--sites", type=int, default=50)
    ap.add_argument("--workdir", default=None, help="where to generate the file (default: a temp dir)")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="csv-splitter-bench-", dir=args.workdir))
    try:
        src = work / "big.csv"
        t = time.perf_counter()
        size = generate_visits_csv(src, args.size_mb, args.sites)
        mb = size / 1e6
        print(f"generated {mb:.0f} MB ({args.sites} sites) in {time.perf_counter() - t:.1f} s")
        bare = measure("bare", src, work)
        split = measure("split", src, work)
        for name, r in (("bare csv copy", bare), ("csv-splitter", split)):
            print(
                f"{name:15s} {mb / r['seconds']:7.1f} MB/s  {r['seconds']:7.1f} s  peak RSS {r['peak_rss_mb']:6.1f} MB"
            )
        print(
            f"ratio splitter/bare throughput: {bare['seconds'] / split['seconds']:.2f} (target >= 0.6); "
            f"splitter peak RSS {split['peak_rss_mb']:.0f} MB (target <= 150)"
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
