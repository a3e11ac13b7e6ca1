"""The two KLMS task API routes run.sh talks to (STELAR KLMS API v2).

    GET  {endpoint}/api/v2/task/{id}/{signature}/input   (header Authorization: <token>)
         -> {"success": true, "result": {...tool input JSON...}}
    POST {endpoint}/api/v2/task/{id}/{signature}/output  (JSON body; no token: it may have expired)
         -> {"success": true, ...}

Any other answer (non-2xx, `success` not true, invalid JSON, no connection) is an `ApiError` with a
one-line reason; run.sh turns it into exit 3 (input) or 4 (output).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import requests

from polygear.core.jsonfile import write_json_atomic
from polygear.klms.task import CONTROL_CHARACTERS

# Seconds to connect, and to wait for each answer: bounded, so a silent server fails the task in
# seconds to minutes, never hangs it.
TIMEOUT = (10, 300)


class ApiError(Exception):
    pass


def task_url(endpoint: str, task_id: str, signature: str, route: str) -> str:
    """The task route, each of id and signature percent-encoded as one path segment.

    An id like `../../admin/x` or `t1?x=` must not send the bearer token to another path.
    """
    for what, value in (("task id", task_id), ("signature", signature)):
        if not value or CONTROL_CHARACTERS.search(value):
            raise ApiError(f"{what}: expected a non-empty value without control characters, found {value!r}")
    parts = urlsplit(endpoint)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise ApiError(f"endpoint: expected an http(s)://host[:port][/path] URL, found {endpoint!r}")
    segments = "/".join(quote(v, safe="") for v in (task_id, signature))
    return f"{endpoint.rstrip('/')}/api/v2/task/{segments}/{route}"


def _answer(resp: requests.Response, url: str) -> dict[str, Any]:
    if not 200 <= resp.status_code < 300:
        raise ApiError(f"{url}: HTTP {resp.status_code}: {resp.text[:200].strip()}")
    try:
        body = resp.json()
    except ValueError:
        raise ApiError(f"{url}: answer is not JSON: {resp.text[:200].strip()!r}") from None
    if not isinstance(body, dict) or body.get("success") is not True:
        raise ApiError(f'{url}: answer has no "success": true: {json.dumps(body)[:200]}')
    return body


def fetch_input(token: str, endpoint: str, task_id: str, signature: str, dest: Path) -> None:
    url = task_url(endpoint, task_id, signature, "input")
    try:
        resp = requests.get(url, headers={"Authorization": token}, timeout=TIMEOUT)
    except requests.RequestException as exc:
        raise ApiError(f"{url}: {type(exc).__name__}: {exc}") from None
    body = _answer(resp, url)
    if not isinstance(body.get("result"), dict):
        raise ApiError(f'{url}: answer has no "result" object')
    write_json_atomic(dest, body["result"])


def post_output(endpoint: str, task_id: str, signature: str, src: Path) -> None:
    url = task_url(endpoint, task_id, signature, "output")
    try:
        payload = json.loads(Path(src).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ApiError(f"{src}: cannot read the tool's output JSON: {exc}") from None
    try:
        resp = requests.post(url, json=payload, timeout=TIMEOUT)
    except requests.RequestException as exc:
        raise ApiError(f"{url}: {type(exc).__name__}: {exc}") from None
    _answer(resp, url)
