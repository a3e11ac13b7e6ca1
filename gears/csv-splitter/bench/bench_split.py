"""csv-splitter beside what a data engineer would use instead, on one generated CSV, in one run.

    ./pants run gears/csv-splitter/bench/bench_split.py -- --size-mb 1024 [--repeat 3] [--skip duckdb]

Each contender runs in a process of its own (so its peak RSS is its own), `--repeat` times; the
median time is printed. csv-splitter runs with its vectorised reader and, for comparison, with its
streaming reader only; a bare csv.reader -> csv.writer copy shows the floor of a row-at-a-time
design. The peers (polars' partitioned sink, pyarrow's streaming reader with one writer per key,
DuckDB's COPY ... PARTITION_BY) are installed by this script into a cached venv of their own
(polygear.dev.benchmarks.peer_python), never into the tools.

"output per key" is checked, not claimed: the rows of each key, as bytes, in input order, are
hashed from the input once; a contender is byte-exact when its files hold exactly those bytes.
Goals (issue): csv-splitter >= 1.0x polars' throughput, peak RSS <= 150 MB. Figures only; nothing
is asserted.
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import statistics
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from polygear.dev.benchmarks import PEER_RSS, generate_visits_csv, peer_python, run_child, run_peer

PEERS = ("polars", "pyarrow", "duckdb")
TOOL = r"""
import csv, json, sys, time
from pathlib import Path
from polygear.core.memory import peak_rss_mb
mode, src, out = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
t = time.perf_counter()
if mode == "bare":
    with open(src, encoding="utf-8", newline="") as fi, open(out / "copy.csv", "w", encoding="utf-8", newline="") as fo:
        w = csv.writer(fo, lineterminator="\n")
        for row in csv.reader(fi):
            w.writerow(row)
else:
    from csv_splitter_app.main import split_csv
    split_csv(src, out, column="site", reader=mode)
print(json.dumps({"seconds": time.perf_counter() - t, "peak_rss_mb": peak_rss_mb()}))
"""
PEER = PEER_RSS + r"""
import json, sys, time
from pathlib import Path
mode, src, out = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
t = time.perf_counter()
if mode == "polars":
    import polars as pl
    pl.scan_csv(src, infer_schema=False).sink_csv(pl.PartitionBy(out, key="site", include_key=True), mkdir=True)
elif mode == "pyarrow":
    import pyarrow as pa, pyarrow.compute as pc, pyarrow.csv as pcsv
    names = src.open(encoding="utf-8").readline().rstrip("\r\n").split(",")
    reader = pcsv.open_csv(src, read_options=pcsv.ReadOptions(block_size=16 << 20),
                           convert_options=pcsv.ConvertOptions(column_types={n: pa.string() for n in names}))
    writers = {}
    for batch in reader:
        keys = batch.column(names.index("site"))
        for value in pc.unique(keys).to_pylist():
            if value not in writers:
                writers[value] = pcsv.CSVWriter(out / f"{value}.csv", batch.schema)
            writers[value].write_batch(batch.filter(pc.equal(keys, value)))
    for w in writers.values():
        w.close()
elif mode == "duckdb":
    import duckdb
    duckdb.sql(f"COPY (SELECT * FROM read_csv('{src}', all_varchar=true)) TO '{out}' "
               "(FORMAT csv, PARTITION_BY (site), WRITE_PARTITION_COLUMNS true, OVERWRITE_OR_IGNORE)")
print(json.dumps({"seconds": time.perf_counter() - t, "peak_rss_mb": peak_rss_mb()}))
"""


def rows_by_key(src: Path) -> set[str]:
    """SHA-256 of each key's rows, as bytes in input order (the generated file has one row per line)."""
    hashes: dict[bytes, Any] = {}
    with open(src, "rb") as fh:
        fh.readline()
        for line in fh:
            key = line.split(b",", 2)[1]
            h = hashes.get(key)
            if h is None:
                h = hashes[key] = hashlib.sha256()
            h.update(line)
    return {h.hexdigest() for h in hashes.values()}


def files_by_key(out: Path) -> set[str]:
    """SHA-256 of each output file's rows (its header line skipped)."""
    found = set()
    for path in out.rglob("*"):
        if path.is_file():
            with open(path, "rb") as fh:
                fh.readline()
                h = hashlib.sha256()
                while chunk := fh.read(1 << 20):
                    h.update(chunk)
            found.add(h.hexdigest())
    return found


def measure(
    run: Callable[[str, str, str], dict[str, Any]], mode: str, src: Path, work: Path, repeat: int, expected: set[str]
) -> dict[str, Any]:
    runs, exact = [], False
    for i in range(repeat):
        out = work / f"out-{mode}"
        out.mkdir()
        runs.append(run(mode, str(src), str(out)))
        if i == 0:
            exact = files_by_key(out) == expected
        shutil.rmtree(out)
    return {
        "seconds": statistics.median(r["seconds"] for r in runs),
        "peak_rss_mb": max(r["peak_rss_mb"] for r in runs),
        "exact": exact,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size-mb", type=int, default=1024)
    ap.add_argument("--sites", type=int, default=50)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--skip", action="append", default=[], choices=[*PEERS, "streaming", "bare"])
    ap.add_argument("--workdir", default=None, help="where to generate the file (default: a temp dir)")
    args = ap.parse_args()

    def peer(*a: str) -> dict[str, Any]:
        return run_peer(peer_python("polars", "pyarrow", "duckdb"), PEER, *a)

    work = Path(tempfile.mkdtemp(prefix="csv-splitter-bench-", dir=args.workdir))
    try:
        src = work / "big.csv"
        size = generate_visits_csv(src, args.size_mb, args.sites)
        mb = size / 1e6
        expected = rows_by_key(src)
        print(f"{mb:.0f} MB, {args.sites} keys; median of {args.repeat} runs each")
        contenders: list[tuple[str, Callable[[str, str, str], dict[str, Any]], str]] = [
            ("csv-splitter (vectorised reader)", lambda *a: run_child(TOOL, *a), "auto"),
            ("csv-splitter (streaming reader only)", lambda *a: run_child(TOOL, *a), "streaming"),
            ("bare csv.reader -> csv.writer copy", lambda *a: run_child(TOOL, *a), "bare"),
            ("polars sink_csv(PartitionBy)", peer, "polars"),
            ("pyarrow open_csv + CSVWriter per key", peer, "pyarrow"),
            ("DuckDB COPY ... PARTITION_BY", peer, "duckdb"),
        ]
        results = {}
        for name, run, mode in contenders:
            if mode in args.skip:
                continue
            results[mode] = r = measure(run, mode, src, work, args.repeat, expected)
            note = "byte-exact, input order" if r["exact"] else "rows re-serialised or reordered"
            if mode == "bare":
                note = "(one file: a copy, not a split)"
            print(
                f"{name:38s} {mb / r['seconds']:7.1f} MB/s {r['seconds']:7.2f} s  peak RSS {r['peak_rss_mb']:7.1f} MB  {note}"
            )
        ours = results["auto"]
        if "polars" in results:
            ratio = results["polars"]["seconds"] / ours["seconds"]
            print(f"goal: csv-splitter >= 1.0x polars' throughput: {ratio:.2f}x")
        print(f"goal: csv-splitter peak RSS <= 150 MB: {ours['peak_rss_mb']:.0f} MB")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
