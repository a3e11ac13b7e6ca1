"""KLMS MinIO staging: polygear's adapter vs the KLMS template's 32 KiB get_object loop.

    ./pants run common/bench/bench_staging.py -- --size-mb 1024

Starts a local S3 server (moto) on loopback, uploads a generated object once, then measures in
separate processes (so each peak RSS is its own): download with the template's loop
(`get_object` + `stream(32 KiB)`) and with `polygear.klms.storage.download_all`; upload with the
template's `put_object(data=file, length=size)` and with `storage.upload`. Prints MB/s, the
throughput ratio (target >= 1.5x) and peak RSS (target <= 100 MB). Nothing is asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import tempfile
from pathlib import Path

from polygear.dev.benchmarks import run_child
from polygear.testing.klms import minio_block, minio_client, s3_server

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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size-mb", type=int, default=1024)
    ap.add_argument("--workdir", default=None)
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="staging-bench-", dir=args.workdir))
    try:
        src = work / "big.bin"
        with open(src, "wb") as fh:
            block = os.urandom(1024 * 1024)
            for _ in range(args.size_mb):
                fh.write(block)
        size = src.stat().st_size
        with s3_server() as url:
            mc = minio_client(url)
            mc.make_bucket("bench")
            mc.fput_object("bench", "big.bin", str(src))
            results = {}
            for mode, path in (
                ("template-get", work / "t.bin"),
                ("polygear-get", work / "p.bin"),
                ("template-put", src),
                ("polygear-put", src),
            ):
                results[mode] = run_child(CHILD, url, mode, str(path), json.dumps(minio_block(url)))
                if mode.endswith("get"):
                    assert path.stat().st_size == size
                    path.unlink()
        mb = size / 1e6
        print(f"object {mb:.0f} MB on a loopback moto S3 server")
        for mode, r in results.items():
            print(
                f"{mode:14s} {mb / r['seconds']:7.1f} MB/s  {r['seconds']:6.1f} s  peak RSS {r['peak_rss_mb']:6.1f} MB"
            )
        for direction in ("get", "put"):
            ratio = results[f"template-{direction}"]["seconds"] / results[f"polygear-{direction}"]["seconds"]
            print(
                f"{direction}: polygear/template throughput {ratio:.2f}x (target >= 1.5x); "
                f"peak RSS {results[f'polygear-{direction}']['peak_rss_mb']:.0f} MB (target <= 100)"
            )
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
