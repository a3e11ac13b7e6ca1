"""Accepted events per second into one job store from 4 concurrent writer processes, durability on.

    ./pants run pipelines/service/bench/bench_store.py -- [--events 500] [--db postgresql://...]

SQLite (WAL, synchronous=FULL) in a temporary file, and PostgreSQL in a throw-away cluster when a
server binary is here (or the one --db names). Each writer posts `update` events to the same job,
each in its own transaction; the figure is all accepted events over the wall time. Target for
SQLite: >= 1,000/s. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import contextlib
import multiprocessing
import tempfile
import time
from pathlib import Path

from jobservice.store import open_store
from jobservice.testing import NoServer, throwaway_cluster

SECRET = b"bench-secret"
WRITERS = 4


def _writer(url: str, job: str, token: str, writer: int, count: int) -> None:
    store = open_store(url, SECRET)
    for n in range(count):
        store.post_event(job, "update", token, {"writer": writer, "n": n})


def measure(url: str, events: int) -> float:
    store = open_store(url, SECRET)
    pipeline, _ = store.create_pipeline(
        {"name": f"bench {time.time()}", "components": [{"repo": f"bench:{time.time()}"}]}
    )
    job, token = store.create_job(pipeline, [], {"t": time.time()})
    store.post_event(job.uuid, "run", token)
    context = multiprocessing.get_context("fork")
    writers = [context.Process(target=_writer, args=(url, job.uuid, token, w, events)) for w in range(WRITERS)]
    started = time.perf_counter()
    for process in writers:
        process.start()
    for process in writers:
        process.join()
    seconds = time.perf_counter() - started
    accepted = len(store.get_job(job.uuid).history) - 2
    if accepted != WRITERS * events:
        raise SystemExit(f"{url}: {accepted} events stored, {WRITERS * events} posted")
    return accepted / seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--events", type=int, default=500, help="events per writer")
    parser.add_argument("--db", action="append", default=[], help="another store URL (postgresql://...)")
    args = parser.parse_args()
    print(f"{WRITERS} writer processes x {args.events} events, one transaction each, durability on")
    with tempfile.TemporaryDirectory(prefix="bench-store-") as scratch, contextlib.ExitStack() as stack:
        urls = [f"sqlite:///{Path(scratch) / 'jobs.db'}", *args.db]
        if not args.db:
            try:
                urls.append(stack.enter_context(throwaway_cluster()))
            except NoServer as exc:
                print(f"postgresql   not measured: {exc}")
        for url in urls:
            rate = measure(url, args.events)
            print(f"{url.split(':', 1)[0]:<12} {rate:>8.0f} events/s")


if __name__ == "__main__":
    main()
