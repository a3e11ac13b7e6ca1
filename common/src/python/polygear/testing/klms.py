"""Real local servers for KLMS tests: an S3 server (moto) and the two KLMS task API routes.

Both listen on 127.0.0.1 only, start in a thread and stop when the `with` block ends, so tests
exercise the real minio SDK and the real run.sh/HTTP code paths without any external service.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def s3_server() -> Iterator[str]:
    """An S3-compatible server (moto) on loopback; yields its http:// endpoint URL."""
    import logging

    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one line per request otherwise
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


def _is_str_map(value: Any) -> bool:
    return isinstance(value, dict) and all(isinstance(k, str) and isinstance(v, str) for k, v in value.items())


def stelar_task_output_errors(doc: Any) -> dict[str, list[str]]:
    """The STELAR data API's validation of a posted task output (marshmallow-style errors by field).

    Written from the API's `Task_Output` schema, independently of polygear.klms.output, so that the
    tests catch a document the real API would refuse: unknown top-level keys are refused, `status`
    is a string or an int, `output`/`outputs` map strings to strings, `metrics` is an object.
    """
    if not isinstance(doc, dict):
        return {"_schema": ["Invalid input type."]}
    errors: dict[str, list[str]] = {
        key: ["Unknown field."]
        for key in doc
        if key not in ("metrics", "status", "error", "message", "output", "outputs")
    }
    status = doc.get("status")
    if "status" in doc and (isinstance(status, bool) or not isinstance(status, (str, int))):
        errors["status"] = ["Not a valid string or integer."]
    for key in ("output", "outputs"):
        if key in doc and not _is_str_map(doc[key]):
            errors[key] = ["Not a valid mapping of string to string."]
    if "metrics" in doc and not isinstance(doc["metrics"], dict):
        errors["metrics"] = ["Not a valid mapping type."]
    for key in ("message", "error"):
        if doc.get(key) is not None and not isinstance(doc[key], str):
            errors[key] = ["Not a valid string."]
    return errors


@dataclass
class KlmsApi:
    """State of the fake KLMS API: the task input it serves and the outputs it received."""

    task_id: str = "task-1"
    signature: str = "sig-1"
    # The cluster hands run.sh the header value itself ("Bearer <token>"); it must be sent verbatim.
    token: str = "Bearer token-1"
    result: Any = None
    input_status: int = 200
    input_body: str | None = None  # raw body override (invalid JSON, success false...)
    output_status: int = 200
    posted: list[Any] = field(default_factory=list)
    refused: list[dict[str, list[str]]] = field(default_factory=list)  # schema errors of refused POSTs
    auth_seen: list[str | None] = field(default_factory=list)
    paths_seen: list[str] = field(default_factory=list)  # raw request paths, as sent
    url: str = ""

    def route(self, raw_path: str) -> str | None:
        """The route ("input"/"output") a raw path asks for on this task, or None.

        Like a real web server: the path is split into segments first, then each is decoded, so
        an id containing "/" only matches when it was sent as one percent-encoded segment.
        """
        prefix = "/api/v2/task/"
        if not raw_path.startswith(prefix):
            return None
        segments = raw_path[len(prefix) :].split("/")
        if len(segments) != 3 or [unquote(x) for x in segments[:2]] != [self.task_id, self.signature]:
            return None
        return segments[2]

    def args(self) -> list[str]:
        """run.sh's four arguments for this task: token, endpoint URL, task id, signature."""
        return [self.token, self.url, self.task_id, self.signature]


@contextmanager
def klms_api(api: KlmsApi) -> Iterator[KlmsApi]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:  # keep test output clean
            pass

        def _send(self, status: int, body: str) -> None:
            data = body.encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            api.paths_seen.append(self.path)
            if api.route(self.path) != "input":
                return self._send(404, json.dumps({"success": False, "message": "no such task"}))
            api.auth_seen.append(self.headers.get("Authorization"))
            if self.headers.get("Authorization") != api.token:
                return self._send(401, json.dumps({"success": False, "message": "bad token"}))
            body = api.input_body if api.input_body is not None else json.dumps({"success": True, "result": api.result})
            self._send(api.input_status, body)

        def do_POST(self) -> None:
            api.paths_seen.append(self.path)
            if api.route(self.path) != "output":
                return self._send(404, json.dumps({"success": False, "message": "no such task"}))
            length = int(self.headers.get("Content-Length") or 0)
            doc = json.loads(self.rfile.read(length) or b"null")
            api.posted.append(doc)
            refused = stelar_task_output_errors(doc)
            if refused:  # what the real API answers to a document its schema refuses
                api.refused.append(refused)
                return self._send(422, json.dumps({"success": False, "error": {"json": refused}}))
            ok = 200 <= api.output_status < 300
            self._send(api.output_status, json.dumps({"success": ok}))

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    api.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield api
    finally:
        server.shutdown()
        server.server_close()


@dataclass
class TaskRun:
    returncode: int
    stdout: str
    stderr: str


def run_sh(
    run_sh_path: str,
    pex: str,
    manifest_dir: str,
    args: list[str],
    timeout: float = 900,
) -> TaskRun:
    """Run the real run.sh on this machine with /bin/run replaced by the gear's built pex."""
    import os
    import subprocess

    env = {k: v for k, v in os.environ.items() if not k.startswith("PEX_")}
    env.update(POLYGEAR_RUN=os.path.abspath(pex), POLYGEAR_GEAR_DIR=os.path.abspath(manifest_dir))
    proc = subprocess.run(
        ["sh", run_sh_path, *args], capture_output=True, text=True, env=env, timeout=timeout, check=False
    )
    return TaskRun(proc.returncode, proc.stdout, proc.stderr)


RUN_SH = "common/src/klms/run.sh"


def run_task(api: KlmsApi, pex: str, manifest_dir: str, run_sh_path: str = RUN_SH) -> TaskRun:
    """Serve `api` on loopback and drive the real run.sh against it with the gear's pex."""
    with klms_api(api):
        return run_sh(run_sh_path, pex, manifest_dir, api.args())


def minio_block(endpoint: str) -> dict[str, str]:
    """Credentials moto accepts, shaped like the KLMS task's `minio` field."""
    return {"endpoint_url": endpoint, "id": "AKIAPOLYGEARTEST", "key": "polygear-secret-key-Xy9", "skey": ""}


def minio_client(endpoint: str) -> Any:
    from minio import Minio

    block = minio_block(endpoint)
    return Minio(endpoint.split("://", 1)[1], access_key=block["id"], secret_key=block["key"], secure=False)
