"""HTTP latency of the job service on loopback: p50/p99 at a steady request rate (default 100/s, 30 s).

    ./pants run pipelines/service/bench/bench_http.py -- [--rate 100] [--seconds 30]

The service runs in its own process (uvicorn, SQLite store with durability on, in a temporary
folder); the client paces a mix of reads (GET a job with its history) and writes (POST an `update`
event, one transaction each) and records each request's latency. Target: p99 <= 50 ms. Prints
figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import multiprocessing
import socket
import statistics
import tempfile
import time
from pathlib import Path

import httpx

SECRET = b"bench-secret"
ADMIN = "bench-admin-token"


def _serve(db: str, port: int) -> None:
    import uvicorn
    from jobservice.app import create_app
    from jobservice.store import open_store

    uvicorn.run(create_app(open_store(db, SECRET), ADMIN), host="127.0.0.1", port=port, log_level="warning")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rate", type=float, default=100.0, help="requests per second")
    parser.add_argument("--seconds", type=float, default=30.0)
    args = parser.parse_args()
    port = _free_port()
    with tempfile.TemporaryDirectory(prefix="bench-http-") as scratch:
        server = multiprocessing.get_context("fork").Process(
            target=_serve, args=(f"sqlite:///{Path(scratch) / 'jobs.db'}", port)
        )
        server.start()
        base = f"http://127.0.0.1:{port}"
        try:
            with httpx.Client(base_url=base, timeout=10) as client:
                for _ in range(100):
                    try:
                        client.get("/pipelines")
                        break
                    except httpx.TransportError:
                        time.sleep(0.1)
                bearer = {"Authorization": f"Bearer {ADMIN}"}
                pipeline = client.post(
                    "/pipelines", json={"name": "bench", "components": [{"repo": "bench:1"}]}, headers=bearer
                ).json()
                job = client.post("/jobs", json={"pipeline_uuid": pipeline["uuid"]}, headers=bearer).json()
                client.post("/events", json={"uuid": job["uuid"], "name": "run", "token": job["token"]})
                latencies: dict[str, list[float]] = {"read": [], "write": []}
                interval, total = 1.0 / args.rate, int(args.rate * args.seconds)
                started = time.perf_counter()
                for i in range(total):
                    time.sleep(max(0.0, started + i * interval - time.perf_counter()))
                    t0 = time.perf_counter()
                    if i % 2:
                        client.get(f"/jobs/{job['uuid']}")
                        kind = "read"
                    else:
                        client.post(
                            "/events",
                            json={"uuid": job["uuid"], "name": "update", "token": job["token"], "data": {"i": i}},
                        )
                        kind = "write"
                    latencies[kind].append((time.perf_counter() - t0) * 1000)
                wall = time.perf_counter() - started
        finally:
            server.terminate()
            server.join()
    every = latencies["read"] + latencies["write"]
    print(f"{len(every)} requests in {wall:.1f} s ({len(every) / wall:.0f}/s), SQLite store, loopback")
    for name, values in (("all", every), *latencies.items()):
        q = statistics.quantiles(values, n=100)
        print(f"{name:<6} p50 {statistics.median(values):6.1f} ms   p99 {q[98]:6.1f} ms   max {max(values):6.1f} ms")


if __name__ == "__main__":
    main()
