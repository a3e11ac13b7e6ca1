"""Run a CCP Method locally, through CCP's lifecycle, and keep what CCP would keep.

    python -m polygear.ccp.run_cli METHOD.json [-i id=value]... [--execute-document FILE]
                                   [--no-container] [--out DIR] [--cancel-after SECONDS]

Any valid Method runs: a generated one (ccp_methods/*.json) or a hand-written one. Inputs come from
`-i id=value` (repeat an id for several values) and/or an OGC execute document; `-i` wins. Without
`--no-container` the Method's `ccpimage` is started with docker (or podman). The execution folder
(default dist/ccp-runs/<method id>-<time>) must not exist yet. SIGTERM cancels the execution
(cancel-script, then Destroy; status `dismissed`); `--cancel-after` does the same after a delay.

Exit status: 0 successful; 1 failed or dismissed, or a bad Method, request or input (one line
naming the field, nothing written).
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from types import FrameType

from polygear.ccp.binding import BoundInputs, bind, merge, parse_assignments, read_execute_document
from polygear.ccp.execution import SUCCESSFUL, ExecutionFolder, default_folder
from polygear.ccp.executor import Executor
from polygear.ccp.methodfile import MethodDoc, load_method
from polygear.core.errors import UserError

EXIT_OK, EXIT_FAILED = 0, 1


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="ccp-run", description=(__doc__ or "").splitlines()[0])
    p.add_argument("method", type=Path, metavar="METHOD.json", help="the Method to run")
    p.add_argument("-i", "--input", action="append", default=[], metavar="ID=VALUE", help="an input value")
    p.add_argument("--execute-document", type=Path, metavar="FILE", help="an OGC execute request (JSON)")
    p.add_argument("--no-container", action="store_true", help="run the scripts in a local process sandbox")
    p.add_argument(
        "--host-path",
        action="append",
        default=[],
        metavar="IMAGE_PATH=HOST_PATH",
        help="with --no-container: a path the scripts use inside the image, and the file here that stands for it "
        "(e.g. /bin/run=dist/pex/csv-splitter.pex /flywheel/v0/manifest.json=gears/csv-splitter/src/docker/manifest.json)",
    )
    p.add_argument("--out", type=Path, help="the execution folder (default dist/ccp-runs/<method id>-<time>)")
    p.add_argument("--cancel-after", type=float, metavar="SECONDS", help="cancel after this delay (tests, demos)")
    return p


def prepare(args: argparse.Namespace) -> tuple[MethodDoc, BoundInputs, Path]:
    """Everything that can be wrong with the request, checked before anything is written or run."""
    method = load_method(args.method)
    document = read_execute_document(args.execute_document, method) if args.execute_document else None
    inputs = bind(method, merge(document, parse_assignments(args.input)))
    out = args.out or default_folder(method.id)
    ExecutionFolder(out).require_absent()
    return method, inputs, out


def _on_sigterm(executor: Executor) -> None:
    def handler(signum: int, frame: FrameType | None) -> None:
        executor.cancel()

    signal.signal(signal.SIGTERM, handler)


def _host_paths(items: Sequence[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in items:
        image_path, sep, host_path = item.partition("=")
        if not sep or not image_path.startswith("/") or not host_path:
            raise UserError("--host-path", f"expected IMAGE_PATH=HOST_PATH with an absolute image path, found {item!r}")
        out[image_path] = str(Path(host_path).resolve())
    return out


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s: %(message)s", stream=sys.stderr)
    try:
        method, inputs, out = prepare(args)
        host_paths = _host_paths(args.host_path)
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_FAILED
    executor = Executor(method, inputs, out, container=not args.no_container, host_paths=host_paths)
    if threading.current_thread() is threading.main_thread():
        _on_sigterm(executor)
    timer = threading.Timer(args.cancel_after, executor.cancel) if args.cancel_after is not None else None
    if timer:
        timer.daemon = True
        timer.start()
    print(f"execution folder: {out}", flush=True)
    try:
        status = executor.run()
    finally:
        if timer:
            timer.cancel()
    print(f"status: {status.status} ({status.message})")
    return EXIT_OK if status.status == SUCCESSFUL else EXIT_FAILED


if __name__ == "__main__":
    sys.exit(main())
