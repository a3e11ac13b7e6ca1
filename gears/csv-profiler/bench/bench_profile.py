"""csv-profiler beside what a data engineer would use instead, on one generated CSV, in one run.

    ./pants run gears/csv-profiler/bench/bench_profile.py -- --size-mb 1024 [--skip-reference] [--skip-peers]

Each contender runs in a process of its own (so its peak RSS is its own) and profiles the same file
(`polygear.dev.benchmarks.generate_visits_csv`: 8 mixed columns, quoted text with commas, empty
values). csv-profiler runs with its batched engine (polars + numpy; what `profile_table` uses when it
can) and with its streaming engine (csv module; the reference, ~90 s on 1 GB: `--skip-reference`).
The peers are installed by this script into a cached venv of their own
(`polygear.dev.benchmarks.peer_python`), never into the tools:

- pandas: read_csv, describe(include="all"), the five quantiles, corr() and nunique();
- polars: read_csv (schema inferred) and describe();
- ydata-profiling in minimal mode, on a prefix of the file (`--ydata-mb`, 100 MB by default: it is
  far slower), so its MB/s is of that prefix, as printed.

They compute less than csv-profiler (no per-column type inference beyond the reader's, no missing
tokens, no exact distinct counts with a bound, no duplicate rows) except ydata-profiling, which
computes more; the figures say how fast a profile comes, not that they are the same profile.

Baseline and goals (issue): the streaming engine did ~11 MB/s at 113 MB peak RSS on 1 GB; goal
>= 10x that (>= 110 MB/s) at <= 500 MB peak RSS. Figures only; nothing is asserted.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from polygear.dev.benchmarks import PEER_RSS, generate_visits_csv, peer_python, run_child, run_peer

BASELINE_MB_S = 11.0  # the streaming engine before the batched one, on 1 GB (issue)
GOAL_MB_S = 10 * BASELINE_MB_S
GOAL_RSS_MB = 500.0
PEERS = ("pandas", "polars", "ydata-profiling")
TOOL = r"""
import json, sys, time
from pathlib import Path
from polygear.core.memory import peak_rss_mb
from csv_profiler_app.main import profile_table, write_report
engine, src, out = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
t = time.perf_counter()
profile = profile_table(src, engine=engine)
profiled = time.perf_counter() - t
write_report(profile, out, src.stem)
print(json.dumps({"rows": profile["rows"], "seconds": profiled, "report_seconds": time.perf_counter() - t - profiled,
                  "peak_rss_mb": peak_rss_mb()}))
"""
PEER = PEER_RSS + r"""
import json, sys, time
from pathlib import Path
mode, src = sys.argv[1], Path(sys.argv[2])
t = time.perf_counter()
if mode == "pandas":
    import pandas as pd
    df = pd.read_csv(src, low_memory=False)
    df.describe(include="all")
    numbers = df.select_dtypes("number")  # not the boolean column: numpy cannot interpolate booleans
    numbers.quantile([0.05, 0.25, 0.5, 0.75, 0.95])
    numbers.corr()
    df.nunique()
elif mode == "polars":
    import polars as pl
    pl.read_csv(src).describe()
elif mode == "ydata-profiling":
    import pandas as pd
    from ydata_profiling import ProfileReport
    ProfileReport(pd.read_csv(src, low_memory=False), minimal=True, progress_bar=False).to_json()
print(json.dumps({"seconds": time.perf_counter() - t, "peak_rss_mb": peak_rss_mb()}))
"""


def prefix(src: Path, dst: Path, size_mb: int) -> int:
    """The first whole lines of `src` up to about `size_mb` MiB, as `dst`; returns its bytes."""
    limit = size_mb * 1024 * 1024
    with open(src, "rb") as fi, open(dst, "wb") as fo:
        written = 0
        for line in fi:
            if written >= limit:
                break
            fo.write(line)
            written += len(line)
    return dst.stat().st_size


def row(name: str, size: int, result: dict[str, Any] | None, note: str = "") -> str:
    if result is None:
        return f"{name:44s} {'skipped':>9s}"
    mb_s = size / 1e6 / result["seconds"]
    rss = result["peak_rss_mb"]
    return (
        f"{name:44s} {size / 1e6:7.0f} {result['seconds']:8.1f} {mb_s:8.1f} {mb_s / BASELINE_MB_S:7.1f}x "
        f"{rss:8.0f}  {'yes' if mb_s >= GOAL_MB_S else 'no':>4s} {'yes' if rss <= GOAL_RSS_MB else 'no':>4s}  {note}"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size-mb", type=int, default=1024)
    ap.add_argument("--ydata-mb", type=int, default=100, help="prefix of the file ydata-profiling profiles")
    ap.add_argument("--skip-reference", action="store_true", help="skip the streaming engine (~90 s on 1 GB)")
    ap.add_argument("--skip-peers", action="store_true")
    ap.add_argument("--workdir", default=None, help="where to generate the file (default: a temp dir)")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="csv-profiler-bench-", dir=args.workdir))
    try:
        src = work / "big.csv"
        size = generate_visits_csv(src, args.size_mb)
        out = work / "out"

        def tool(engine: str) -> dict[str, Any]:
            return run_child(TOOL, engine, str(src), str(out))

        def peer(mode: str, path: Path = src) -> dict[str, Any]:
            return run_peer(peer_python(*PEERS), PEER, mode, str(path))

        small = work / "prefix.csv"
        small_size = prefix(src, small, args.ydata_mb) if not args.skip_peers else 0
        contenders: list[tuple[str, int, Callable[[], dict[str, Any]] | None, str]] = [
            ("csv-profiler, batched engine (default)", size, lambda: tool("batched"), ""),
            (
                "csv-profiler, streaming engine (reference)",
                size,
                None if args.skip_reference else lambda: tool("streaming"),
                "",
            ),
            ("pandas describe+quantiles+corr+nunique", size, None if args.skip_peers else lambda: peer("pandas"), ""),
            ("polars read_csv + describe()", size, None if args.skip_peers else lambda: peer("polars"), ""),
            (
                "ydata-profiling minimal",
                small_size,
                None if args.skip_peers else lambda: peer("ydata-profiling", small),
                f"on the first {small_size / 1e6:.0f} MB only",
            ),
        ]
        results = []
        for name, bytes_, run, note in contenders:
            print(f"measuring {name}...", flush=True)
            results.append((name, bytes_, run() if run is not None else None, note))
        rows = next((r["rows"] for _, _, r, _ in results if r is not None and "rows" in r), 0)
        print(f"\nfile: {size / 1e6:.0f} MB, {rows:,} rows, 8 columns; one run each, in its own process")
        print(
            f"baseline {BASELINE_MB_S:.0f} MB/s (streaming engine before); goals >= {GOAL_MB_S:.0f} MB/s, <= {GOAL_RSS_MB:.0f} MB"
        )
        print(
            f"{'':44s} {'MB':>7s} {'seconds':>8s} {'MB/s':>8s} {'vs 11':>8s} {'peak MB':>8s}  {'10x':>4s} {'RSS':>4s}"
        )
        for name, bytes_, result, note in results:
            print(row(name, bytes_, result, note))
        batched = results[0][2]
        if batched is not None:
            print(f"(csv-profiler's HTML + JSON report took {batched['report_seconds']:.1f} s more, not counted above)")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
