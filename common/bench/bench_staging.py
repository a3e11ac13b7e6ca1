"""KLMS MinIO staging: polygear's adapter vs the KLMS template's 32 KiB get_object loop.

    ./pants run common/bench/bench_staging.py -- --size-mb 1024 [--runs 3] [--moto-in-memory]

Starts a local S3 server (moto) on loopback, uploads a generated object once, then measures in
separate processes (so each peak RSS is its own): download with the template's loop
(`get_object` + `stream(32 KiB)`) and with `polygear.klms.storage.download_all`; upload with the
template's `put_object(data=file, length=size)` and with `storage.upload`. Each of the four runs
`--runs` times; template and polygear alternate which goes first, and dirty pages are flushed
(sync) before each run, so that neither side inherits the other's write-back. Prints, side by side,
the median MB/s of each, their ratio against the 1.5x goal and polygear's peak RSS against 100 MB,
then every run's ratio (the machine's noise shows there). Nothing is asserted.

moto is Python, and it bounds what any client can gain: it reads a whole stored object before the
first byte of a GET, and it hashes and writes every byte of a PUT (twice for a multipart upload,
whose parts it assembles on completion). By default it keeps objects over 5 MiB in temporary files
on this machine's disk; `--moto-in-memory` keeps them in memory instead (moto's own setting,
MOTO_S3_DEFAULT_KEY_BUFFER_SIZE), to separate the client's cost from the disk's.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import tempfile
from pathlib import Path
from typing import Any

from polygear.dev.benchmarks import run_child
from polygear.testing.klms import minio_block, minio_client, s3_server

GOAL_RATIO = 1.5
GOAL_RSS_MB = 100

CHILD = r"""
import json, os, sys, time
from polygear.core.memory import peak_rss_mb
from pathlib import Path
from minio import Minio
endpoint, mode, path = sys.argv[1], sys.argv[2], Path(sys.argv[3])
block = json.loads(sys.argv[4])
mc = Minio(endpoint.split("://", 1)[1], access_key=block["id"], secret_key=block["key"], secure=False)
t = time.perf_counter()
if mode == "template-get":
    resp = mc.get_object("bench", "big.bin")
    with open(path, "wb") as fh:
        for d in resp.stream(32 * 1024):
            fh.write(d)
    resp.close(); resp.release_conn()
elif mode == "template-put":
    with open(path, "rb") as fh:
        mc.put_object("bench", "up-template.bin", data=fh, length=os.stat(path).st_size)
else:
    from polygear.klms import storage
    from polygear.klms.task import ObjectPath
    if mode == "polygear-get":
        storage.download_all(mc, [(ObjectPath("bench", "big.bin"), path)])
    else:
        storage.upload(mc, path, ObjectPath("bench", "up-polygear.bin"))
print(json.dumps({"seconds": time.perf_counter() - t,
                  "peak_rss_mb": peak_rss_mb()}))
"""


def measure(url: str, mode: str, path: Path, size: int) -> dict[str, Any]:
    """One run of `mode` in its own process, after a sync; checks what it transferred."""
    os.sync()
    result = run_child(CHILD, url, mode, str(path), json.dumps(minio_block(url)))
    if mode.endswith("get"):
        assert path.stat().st_size == size, f"{mode} wrote {path.stat().st_size} bytes, expected {size}"
        path.unlink()
    else:
        key = "up-template.bin" if mode.startswith("template") else "up-polygear.bin"
        stored = minio_client(url).stat_object("bench", key).size
        assert stored == size, f"{mode} stored {stored} bytes, expected {size}"
    return result


def report(runs: dict[str, list[dict[str, Any]]], size: int, storage_note: str) -> None:
    mb = size / 1e6
    count = len(runs["template-get"])
    print(f"object {mb:.0f} MB on a loopback moto S3 server ({storage_note}); median of {count} run(s)")
    print(
        f"{'':4s} {'template MB/s':>14s} {'polygear MB/s':>14s} {'ratio':>7s} {'goal':>11s} "
        f"{'peak RSS template':>18s} {'polygear':>9s} {'goal':>11s}"
    )
    ratios: dict[str, list[float]] = {}
    for direction in ("get", "put"):
        template, polygear = runs[f"template-{direction}"], runs[f"polygear-{direction}"]
        t_sec = statistics.median(r["seconds"] for r in template)
        p_sec = statistics.median(r["seconds"] for r in polygear)
        ratio = t_sec / p_sec
        rss = max(r["peak_rss_mb"] for r in polygear)
        ratios[direction] = [t["seconds"] / p["seconds"] for t, p in zip(template, polygear, strict=True)]
        print(
            f"{direction.upper():4s} {mb / t_sec:14.1f} {mb / p_sec:14.1f} {ratio:6.2f}x "
            f"{'>= 1.5x ' + ('ok' if ratio >= GOAL_RATIO else 'NO'):>11s} "
            f"{max(r['peak_rss_mb'] for r in template):15.1f} MB {rss:6.1f} MB "
            f"{'<= 100 ' + ('ok' if rss <= GOAL_RSS_MB else 'NO'):>11s}"
        )
    for direction, values in ratios.items():
        print(f"{direction.upper()} ratio of each run: {', '.join(f'{v:.2f}x' for v in values)}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size-mb", type=int, default=1024, help="object size in MiB (default 1024)")
    ap.add_argument("--runs", type=int, default=3, help="runs of each measurement; the median is reported")
    ap.add_argument("--workdir", default=None)
    ap.add_argument(
        "--moto-in-memory", action="store_true", help="moto keeps objects in memory, not in temporary files"
    )
    args = ap.parse_args()
    if args.moto_in_memory:  # read by moto for each object it creates, in this process (the server's)
        os.environ["MOTO_S3_DEFAULT_KEY_BUFFER_SIZE"] = str(2 * args.size_mb * 1024 * 1024 + 1)
    storage_note = "objects in memory" if args.moto_in_memory else "objects in temporary files, moto's default"
    work = Path(tempfile.mkdtemp(prefix="staging-bench-", dir=args.workdir))
    try:
        src = work / "big.bin"
        with open(src, "wb") as fh:
            block = os.urandom(1024 * 1024)
            fh.writelines(block for _ in range(args.size_mb))
        size = src.stat().st_size
        with s3_server() as url:
            mc = minio_client(url)
            mc.make_bucket("bench")
            mc.fput_object("bench", "big.bin", str(src))
            runs: dict[str, list[dict[str, Any]]] = {
                f"{side}-{d}": [] for side in ("template", "polygear") for d in ("get", "put")
            }
            for n in range(args.runs):
                sides = ("template", "polygear") if n % 2 == 0 else ("polygear", "template")
                for direction in ("get", "put"):
                    for side in sides:
                        mode = f"{side}-{direction}"
                        path = src if direction == "put" else work / f"{side}.bin"
                        runs[mode].append(measure(url, mode, path, size))
                        r = runs[mode][-1]
                        print(
                            f"  run {n + 1} {mode:13s} {size / 1e6 / r['seconds']:7.1f} MB/s {r['seconds']:6.2f} s "
                            f"peak RSS {r['peak_rss_mb']:6.1f} MB",
                            flush=True,
                        )
        report(runs, size, storage_note)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
