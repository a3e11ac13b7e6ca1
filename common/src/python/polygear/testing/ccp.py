"""Running a tool's generated CCP Method through the local executor, as CCP would run it.

The Method's scripts fetch the file inputs by URL and run the tool's `/bin/run` on a
/flywheel/v0-style folder; locally the files are served from loopback and the image paths point at
the tool's built pex and manifest, so the same Method text the platform receives is what runs.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from polygear.ccp.binding import bind, merge, parse_assignments
from polygear.ccp.execution import SUCCESSFUL
from polygear.ccp.executor import Executor
from polygear.ccp.methodfile import load_method

NETWORK_VARIABLE = "POLYGEAR_CCP_NETWORK"  # read by polygear.ccp.runtimes when it builds container commands


@contextmanager
def serve_files(files: Mapping[str, Path]) -> Iterator[dict[str, str]]:
    """Serve each file on loopback under its own name; yields name -> URL."""
    root = Path(tempfile.mkdtemp(prefix="polygear-served-"))
    for path in files.values():
        shutil.copyfile(path, root / Path(path).name)

    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(Quiet, directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        port = server.server_address[1]
        yield {name: f"http://127.0.0.1:{port}/{Path(path).name}" for name, path in files.items()}
    finally:
        server.shutdown()
        server.server_close()
        shutil.rmtree(root, ignore_errors=True)


def with_image(method_path: Path, image: str, dest: Path) -> Path:
    """A copy of the Method whose `ccpimage` is `image` (the image under test, not the released one)."""
    doc = json.loads(method_path.read_text(encoding="utf-8"))
    doc["inputs"]["ccpimage"]["schema"]["default"] = image
    dest.write_text(json.dumps(doc), encoding="utf-8")
    return dest


def run_method_locally(
    method_path: Path,
    pex: Path,
    manifest: Path,
    out: Path,
    params: Mapping[str, str],
    files: Mapping[str, Path],
    image: str | None = None,
) -> Path:
    """Run the Method, without a container (image paths pointed at `pex` and `manifest`) or, given
    `image`, in that image on the host network (so that it can fetch the files served on loopback).
    Returns the first replica's output folder; raises if the execution was not successful."""
    if image is not None:
        method_path = with_image(method_path, image, out.parent / f"{out.name}-method.json")
    method = load_method(method_path)
    previous = os.environ.get(NETWORK_VARIABLE)
    if image is not None:
        os.environ[NETWORK_VARIABLE] = "host"
    try:
        with serve_files(files) as urls:
            pairs = [f"{key}={value}" for key, value in {**params, **urls}.items()]
            inputs = bind(method, merge(None, parse_assignments(pairs)))
            host_paths = {"/bin/run": str(pex.resolve()), "/flywheel/v0/manifest.json": str(manifest.resolve())}
            status = Executor(method, inputs, out, container=image is not None, host_paths=host_paths).run()
    finally:
        if previous is None:
            os.environ.pop(NETWORK_VARIABLE, None)
        else:
            os.environ[NETWORK_VARIABLE] = previous
    if status.status != SUCCESSFUL:
        stderr = (out / "stderr.txt").read_text() if (out / "stderr.txt").exists() else ""
        raise AssertionError(f"CCP execution {status.status}: {status.message}\n{stderr}")
    replicas = sorted((out / "outputs").iterdir())
    return replicas[0]
