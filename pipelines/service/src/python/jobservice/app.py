"""The job service's HTTP API (FastAPI): pipelines, jobs, events, indexing, and a status page.

Routes run the store in a worker thread (the store serialises its own connection), so a slow write or
an indexing job never stalls the event loop. Errors are JSON `{"error": "...", "status": N}`: 400 a body that breaks the contract, 401 a missing
token, 403 a wrong one, 404 an unknown pipeline or job, 409 a refused transition or an immutable
field. Creating pipelines and jobs needs the admin bearer token; events need the job's own token
(from its create), updates of a pipeline the pipeline's current token. Tokens are never logged and
never returned except by the create (or update) that issues them. OpenAPI docs: `/docs`.
"""

from __future__ import annotations

import hmac
import html
import json
import logging
import re
import time
from pathlib import Path
from typing import Any

import jsonschema
from fastapi import APIRouter, FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from jobservice.indexer import index_job
from jobservice.store import CatalogError, Conflict, Immutable, JobStore, NotFound
from polygear.sd2e.definition import OUR_FIELDS, component_type
from polygear.sd2e.jobs import TransitionRefused, UnknownEvent
from polygear.sd2e.tokens import TokenError

log = logging.getLogger("jobservice")
LEVELS = ("0", "1", "2", "3", "Reference", "User", "Unknown")
SD2E_SCHEMAS = {"pipeline": "sd2e-pipeline.schema.json", "event": "sd2e-pipelinejob-event.schema.json"}


class ApiError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class JobIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    pipeline_uuid: str
    child_of: list[str] = Field(default_factory=list)
    data: dict[str, Any] = Field(default_factory=dict)
    session: str | None = Field(default=None, pattern=r"^[a-z0-9][a-z0-9-]*$")


class EventIn(BaseModel):
    """An event as a JSON body (SD2E calls the event's name `event`; both spellings are accepted)."""

    model_config = ConfigDict(extra="forbid")
    uuid: str
    name: str | None = None
    event: str | None = None
    token: str | None = None
    data: dict[str, Any] = Field(default_factory=dict)


class IndexIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    uuid: str
    name: str = Field(pattern="^index$")
    token: str | None = None
    filters: list[str] = Field(default_factory=list)
    level: str = "1"


def _check_pipeline(document: Any) -> dict[str, Any]:
    if not isinstance(document, dict):
        raise ApiError(400, "expected a pipeline document (a JSON object)")
    for key, kind in (("name", str), ("components", list)):
        if not isinstance(document.get(key), kind):
            raise ApiError(400, f"{key}: expected a {'string' if kind is str else 'list'}, found {document.get(key)!r}")
    if "uuid" in document:
        raise ApiError(400, "uuid: expected no uuid in a pipeline document (the service computes it)")
    for index, component in enumerate(document["components"]):
        if component_type(component) is None:
            raise ApiError(400, f"components[{index}]: expected the keys of exactly one SD2E component type")
    return document


router = APIRouter()


def _store(request: Request) -> JobStore:
    return request.app.state.store  # type: ignore[no-any-return]


def _admin(request: Request) -> None:
    header = request.headers.get("authorization", "")
    if not header:
        raise ApiError(401, "an admin bearer token is required (Authorization: Bearer ...)")
    scheme, _, given = header.partition(" ")
    expected: str = request.app.state.admin_token
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.encode(), expected.encode()):
        raise ApiError(403, "the admin bearer token is not valid")


def _status(exc: Exception) -> int:
    """The HTTP status of an error the store or the state machine raised."""
    if isinstance(exc, ApiError):
        return exc.status
    if isinstance(exc, TokenError):
        return 401 if "required" in str(exc) else 403
    if isinstance(exc, NotFound):
        return 404
    if isinstance(exc, (Conflict, Immutable, TransitionRefused)):
        return 409
    return 400  # UnknownEvent, other catalog errors


async def _error(_: Request, exc: Exception) -> JSONResponse:
    status = _status(exc)
    return JSONResponse({"error": str(exc), "status": status}, status_code=status)


async def _http_error(_: Request, exc: Exception) -> JSONResponse:
    status = exc.status_code if isinstance(exc, StarletteHTTPException) else 500
    detail = exc.detail if isinstance(exc, StarletteHTTPException) else "error"
    return JSONResponse({"error": str(detail), "status": status}, status_code=status)


async def _crash(_: Request, exc: Exception) -> JSONResponse:
    log.error("unexpected error: %s", exc.__class__.__name__, exc_info=exc)
    return JSONResponse({"error": "unexpected server error (logged)", "status": 500}, status_code=500)


async def _bad_body(_: Request, exc: Exception) -> JSONResponse:
    errors = exc.errors() if isinstance(exc, RequestValidationError) else []
    first = errors[0] if errors else {"loc": (), "msg": "invalid request"}
    where = ".".join(str(p) for p in first.get("loc", ()) if p != "body") or "body"
    return JSONResponse({"error": f"{where}: {first.get('msg')}", "status": 400}, status_code=400)


async def _access_log(request: Request, call_next: Any) -> Any:
    started = time.perf_counter()
    response = await call_next(request)
    # the path only: an event posted with URL parameters carries its token in the query string
    elapsed = (time.perf_counter() - started) * 1000
    log.info("%s %s %d %.1f ms", request.method, request.url.path, response.status_code, elapsed)
    return response


def load_schemas(specs: Path | None) -> dict[str, dict[str, Any]]:
    """SD2E's published JSON Schemas (pipeline, job event) from the specs folder, when one is given."""
    schemas: dict[str, dict[str, Any]] = {}
    for key, name in SD2E_SCHEMAS.items():
        path = specs / name if specs else None
        if path is not None and path.is_file():
            schemas[key] = json.loads(path.read_text(encoding="utf-8"))
    return schemas


def _schema_check(request: Request, key: str, document: dict[str, Any], ignore: tuple[str, ...] = ()) -> None:
    schema = request.app.state.schemas.get(key)
    if schema is None:
        return
    checked = {k: v for k, v in document.items() if k not in ignore}
    error = next(iter(sorted(jsonschema.validators.validator_for(schema)(schema).iter_errors(checked), key=str)), None)
    if error is not None:
        where = ".".join(str(p) for p in error.absolute_path) or "body"
        # a token's value (or anything pasted in its place) never comes back in a message
        message = f"expected {error.validator} {error.validator_value!r}" if where == "token" else error.message
        raise ApiError(400, f"{where}: {message} (SD2E's {SD2E_SCHEMAS[key]})")


def create_app(
    store: JobStore, admin_token: str, archive_root: str | None = None, specs: Path | None = None
) -> FastAPI:
    """`specs`: the folder of SD2E's published schemas; bodies are then validated against them too."""
    if not admin_token:
        raise ValueError("the service needs an admin token")
    app = FastAPI(title="polygear pipeline job service", version="0.1.0", description=__doc__)
    app.state.store, app.state.admin_token, app.state.archive_root = store, admin_token, archive_root
    app.state.schemas = load_schemas(specs)
    for error in (ApiError, CatalogError, TokenError, TransitionRefused, UnknownEvent):
        app.add_exception_handler(error, _error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _crash)
    app.add_exception_handler(RequestValidationError, _bad_body)
    app.middleware("http")(_access_log)
    app.include_router(router)
    return app


@router.get("/pipelines")
async def list_pipelines(request: Request) -> list[dict[str, Any]]:
    return await run_in_threadpool(_store(request).list_pipelines)


@router.post("/pipelines", status_code=201)
async def create_pipeline(request: Request) -> dict[str, Any]:
    _admin(request)
    document = _check_pipeline(await _json(request))
    _schema_check(request, "pipeline", document, ignore=OUR_FIELDS)
    uuid, token = await run_in_threadpool(_store(request).create_pipeline, document)
    return {"uuid": uuid, "token": token}


@router.get("/pipelines/{uuid}")
async def get_pipeline(uuid: str, request: Request) -> dict[str, Any]:
    return await run_in_threadpool(_store(request).get_pipeline, uuid)


@router.put("/pipelines/{uuid}")
async def update_pipeline(uuid: str, request: Request, token: str | None = Query(default=None)) -> dict[str, Any]:
    document = _check_pipeline(await _json(request))
    _schema_check(request, "pipeline", document, ignore=OUR_FIELDS)
    new_token = await run_in_threadpool(_store(request).update_pipeline, uuid, document, token)
    return {"uuid": uuid, "token": new_token}


@router.post("/jobs", status_code=201)
async def create_job(body: JobIn, request: Request) -> dict[str, Any]:
    _admin(request)
    instance = f"{body.session}-{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}" if body.session else None
    job, token = await run_in_threadpool(
        _store(request).create_job, body.pipeline_uuid, body.child_of, body.data, instance
    )
    return {**job.as_dict(), "token": token}


@router.get("/jobs")
async def list_jobs(
    request: Request, pipeline_uuid: str | None = None, state: str | None = None
) -> list[dict[str, Any]]:
    return await run_in_threadpool(_store(request).list_jobs, pipeline_uuid, state)


@router.get("/jobs/{uuid}")
async def get_job(uuid: str, request: Request) -> dict[str, Any]:
    return (await run_in_threadpool(_store(request).get_job, uuid)).as_dict()


@router.post("/events")
async def post_event(body: EventIn, request: Request) -> dict[str, Any]:
    names = {n for n in (body.name, body.event) if n}
    if len(names) != 1:
        raise ApiError(400, "name: expected the event's name (or SD2E's `event`), once")
    if body.event is not None:  # SD2E's own form: its schema applies
        _schema_check(request, "event", body.model_dump(exclude_none=True))
    job, event = await run_in_threadpool(_store(request).post_event, body.uuid, names.pop(), body.token, body.data)
    return {"uuid": job.uuid, "state": job.state, "event": event.as_dict()}


@router.post("/jobs/{uuid}/events/{name}")
async def post_event_params(uuid: str, name: str, request: Request, token: str | None = None) -> dict[str, Any]:
    """SD2E's other form: the event in the URL, the (optional) JSON body attached as its data."""
    raw = await request.body()
    data = await _json(request) if raw.strip() else {}
    if not isinstance(data, dict):
        raise ApiError(400, "body: expected a JSON object (the event's data)")
    job, event = await run_in_threadpool(_store(request).post_event, uuid, name, token, data)
    return {"uuid": job.uuid, "state": job.state, "event": event.as_dict()}


@router.post("/jobs/{uuid}/index")
async def index(uuid: str, body: IndexIn, request: Request) -> dict[str, Any]:
    if body.uuid != uuid:
        raise ApiError(400, f"uuid: expected {uuid} (the job in the URL), found {body.uuid}")
    if body.level not in LEVELS:
        raise ApiError(400, f"level: expected one of {', '.join(LEVELS)}, found {body.level!r}")
    for pattern in body.filters:
        try:
            re.compile(pattern)
        except re.error as exc:
            raise ApiError(400, f"filters: expected regular expressions, found {pattern!r} ({exc})") from None
    return await run_in_threadpool(_index, _store(request), request.app.state.archive_root, uuid, body)


def _index(store: JobStore, archive_root: str | None, uuid: str, body: IndexIn) -> dict[str, Any]:
    """index -> the indexer -> indexed; an indexer failure (unreadable file, S3) fails the job, in one line."""
    store.post_event(uuid, "index", body.token, {"filters": body.filters, "level": body.level})
    try:
        files = index_job(store, store.get_job(uuid), archive_root, body.filters, body.level)
    except (OSError, ValueError) as exc:
        message = f"{exc.__class__.__name__}: {exc}"
        store.post_event(uuid, "fail", body.token, {"step": "index", "error": message})
        raise ApiError(500, f"indexing failed, the job is FAILED: {message}") from None
    job, event = store.post_event(uuid, "indexed", body.token, {"files": len(files)})
    return {"uuid": uuid, "state": job.state, "files": files, "event": event.as_dict()}


@router.get("/", response_class=HTMLResponse)
async def status_page(request: Request) -> str:
    return await run_in_threadpool(status_html, _store(request))


async def _json(request: Request) -> Any:
    try:
        return await request.json()
    except ValueError:
        raise ApiError(400, "body: expected JSON") from None


def status_html(store: JobStore) -> str:
    """Pipelines, then each job with its state and its history as a timeline (everything escaped)."""
    e = html.escape
    rows = []
    for pipeline in store.list_pipelines():
        jobs = store.list_jobs(pipeline["uuid"])
        rows.append(f"<h2>{e(pipeline.get('name', ''))} <code>{e(pipeline['uuid'])}</code></h2>")
        if not jobs:
            rows.append("<p class='empty'>no jobs yet</p>")
        for summary in jobs:
            job = store.get_job(summary["uuid"])
            steps = "".join(
                f"<li><span class='event'>{e(ev.name)}</span> → <span class='state'>{e(ev.state)}</span>"
                f" <time>{e(ev.date)}</time></li>"
                for ev in job.history
            )
            rows.append(
                f"<section class='job' id='{e(job.uuid)}'><h3><code>{e(job.uuid)}</code>"
                f" <span class='badge {e(job.state.lower())}'>{e(job.state)}</span></h3>"
                f"<p>archive: <code>{e(job.archive_path)}</code></p><ol class='timeline'>{steps}</ol></section>"
            )
    body = "".join(rows) or "<p class='empty'>no pipelines yet</p>"
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'><title>Pipeline jobs</title><style>"
        "body{font-family:system-ui,sans-serif;margin:2rem;max-width:60rem}"
        ".badge{padding:.1rem .5rem;border-radius:.6rem;background:#ddd;font-size:.8rem}"
        ".finished,.finalized,.validated{background:#c8f0c8}.failed,.rejected{background:#f6c6c6}"
        ".running,.indexing,.validating{background:#fde7a9}.timeline{color:#333}time{color:#777;font-size:.8rem}"
        "</style></head><body><h1>Pipeline jobs</h1>" + body + "</body></html>"
    )
