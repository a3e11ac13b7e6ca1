"""A pipeline run tracked by the job service: the job is created, moves run -> finish (or fail, with
the step and the tool's error) -> index -> indexed, and its outputs are archived under its archive path.

The service is reached over HTTP (`--service URL`, the admin token from POLYGEAR_JOBS_ADMIN_TOKEN,
never from the command line). The outputs are copied to `<archive root>/<the job's archive path>/`,
the folder the service's indexer reads (the same root on both sides: a shared filesystem).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from polygear.core.errors import UserError
from polygear.dev.pipeline_run import PipelineRun, run_pipeline
from polygear.sd2e.definition import Pipeline
from polygear.sd2e.identifiers import pipeline_uuid

TIMEOUT_S = 30.0


@dataclass(frozen=True)
class TrackedRun:
    job: dict[str, Any]  # the job as the service shows it at the end (state, history)
    run: PipelineRun | None


class JobClient:
    def __init__(self, base_url: str, admin_token: str, client: httpx.Client | None = None) -> None:
        if not admin_token:
            raise UserError("POLYGEAR_JOBS_ADMIN_TOKEN", "expected the service's admin token, found none")
        self.http = client or httpx.Client(base_url=base_url.rstrip("/"), timeout=TIMEOUT_S)
        self.admin = {"Authorization": f"Bearer {admin_token}"}

    def call(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        try:
            response = self.http.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            raise UserError(
                f"--service {self.http.base_url}", f"expected the job service to answer, found: {exc}"
            ) from None
        body = response.json() if response.headers.get("content-type", "").startswith("application/json") else {}
        if response.status_code >= 400:
            raise UserError(
                f"job service {method} {path}", f"{response.status_code}: {body.get('error', response.text[:200])}"
            )
        return body if isinstance(body, dict) else {"items": body}

    def ensure_pipeline(self, document: dict[str, Any]) -> str:
        uuid = pipeline_uuid(document)
        try:
            self.call("POST", "/pipelines", json=document, headers=self.admin)
        except UserError as exc:
            if not exc.message.startswith("409:"):  # 409: registered already, same UUID
                raise
        return uuid

    def event(self, uuid: str, token: str, name: str, data: dict[str, Any] | None = None) -> dict[str, Any]:
        return self.call("POST", "/events", json={"uuid": uuid, "name": name, "token": token, "data": data or {}})


def _digest(path: str) -> str:
    return "sha256:" + hashlib.sha256(Path(path).read_bytes()).hexdigest()


def archive(outdir: Path, root: Path, archive_path: str) -> Path:
    """Copy the run's outputs to `<root>/<archive path>/`: all of them or none (copied beside, renamed)."""
    target = (root / archive_path.lstrip("/")).resolve()
    if not target.is_relative_to(root.resolve()):
        raise UserError("archive_path", f"expected a path under the archive root {root}, found {archive_path!r}")
    if target.exists() and any(target.iterdir()):
        raise UserError(str(target), "the job's archive folder exists and is not empty")
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.partial")
    shutil.rmtree(partial, ignore_errors=True)
    try:
        shutil.copytree(outdir, partial)
        if target.exists():
            target.rmdir()
        os.replace(partial, target)
    except OSError as exc:
        shutil.rmtree(partial, ignore_errors=True)
        raise UserError(str(target), f"the outputs could not be archived: {exc.strerror or exc}") from None
    return target


def tracked_run(
    pipeline: Pipeline,
    job: dict[str, Any],
    outdir: Path,
    client: JobClient,
    archive_root: Path | None,
    pexes: Mapping[str, Path] | None = None,
    engine: str | None = None,
    runner: str = "cwltool",
) -> TrackedRun:
    """Run `pipeline` as a job of the service; a failed step leaves the job FAILED and raises."""
    pipeline_id = client.ensure_pipeline(pipeline.document)
    inputs = {name: {"name": Path(f["path"]).name, "checksum": _digest(f["path"])} for name, f in job.items()}
    started = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    created = client.call(
        "POST",
        "/jobs",
        json={"pipeline_uuid": pipeline_id, "data": {"inputs": inputs, "started": started}},
        headers=client.admin,
    )
    uuid, token = created["uuid"], created["token"]
    client.event(uuid, token, "run", {"runner": runner, "steps": len(pipeline.steps)})
    try:
        run = run_pipeline(pipeline, job, outdir, pexes, engine, runner)
    except UserError as exc:
        client.event(uuid, token, "fail", {"step": exc.where, "error": exc.message})
        raise
    files = sorted(p for p in outdir.rglob("*") if p.is_file())
    client.event(uuid, token, "finish", {"outputs": len(files)})
    if archive_root is not None:
        archive(outdir, archive_root, created["archive_path"])
        client.call("POST", f"/jobs/{uuid}/index", json={"uuid": uuid, "name": "index", "token": token})
    return TrackedRun(client.call("GET", f"/jobs/{uuid}"), run)
