"""The local CCP executor's own cost: a lifecycle of no-op scripts, and 8 replicas of `sleep 1`.

    PYTHONPATH=common/src/python python common/bench/bench_ccp.py [--runs 20]

Runs in-process with the local process sandbox (`--no-container`), so the figures are the
executor's: folder and status writes, three `/bin/sh` starts, Fetch, logs, output.zip, Destroy.
Targets: <= 100 ms per no-op lifecycle; 8 parallel `sleep 1` replicas close to 1 s of wall time.
Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from polygear.ccp.binding import Request, bind, parse_assignments
from polygear.ccp.executor import Executor
from polygear.ccp.methodfile import parse_method


def method(execute: list[str]) -> dict[str, Any]:
    """A minimal hand-written Method: no-op deploy and undeploy, the given execute script."""
    image = {"id": "ccpimage", "schema": {"type": "string", "default": "debian:bookworm-slim", "readOnly": True}}
    scripts = {"deploy-script": [":"], "execute-script": execute, "undeploy-script": [":"], "cancel-script": []}
    return {
        "id": "bench",
        "version": "0.0.0",
        "inputs": {"ccpimage": image},
        "additionalParameters": {"parameters": [{"name": k, "value": v} for k, v in scripts.items()]},
    }


def run_once(data: dict[str, Any], out: Path, pairs: list[str]) -> tuple[float, str]:
    doc = parse_method(data, "bench.json")
    executor = Executor(doc, bind(doc, Request(parse_assignments(pairs))), out)
    started = time.perf_counter()
    status = executor.run()
    return time.perf_counter() - started, status.status


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=20)
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="ccp-bench-"))
    try:
        noop = [run_once(method([":"]), work / f"noop-{i}", []) for i in range(args.runs)]
        times_ms = [t * 1000 for t, _ in noop]
        wall, status = run_once(method(["sleep 1"]), work / "replicas", ["ccpreplicas=8"])
        figures = {
            "noop_lifecycle_ms": {
                "median": round(statistics.median(times_ms), 1),
                "min": round(min(times_ms), 1),
                "max": round(max(times_ms), 1),
                "runs": args.runs,
                "target_ms": 100,
            },
            "replicas_8_sleep_1_wall_s": round(wall, 3),
            "replicas_status": status,
        }
        print(json.dumps(figures, indent=2))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
