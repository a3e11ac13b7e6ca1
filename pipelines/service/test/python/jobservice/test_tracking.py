"""A shipped pipeline run end to end as a job of the real service (uvicorn on loopback): the job ends
FINISHED with its outputs archived and indexed, and the status page shows it; a failing run ends FAILED."""

from __future__ import annotations

import html
import re
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn
from jobservice.app import create_app
from jobservice.store import open_store
from jobservice.testing import free_port

from polygear.core.errors import UserError
from polygear.dev.pipeline_run import pipeline_job
from polygear.dev.tracking import JobClient, tracked_run
from polygear.sd2e.definition import Pipeline, resolve, tools_by_image
from polygear.testing.images import tool_pex

ADMIN = "tracking-admin-token"
DATA = Path("pipelines/test/data")


@pytest.fixture()
def service(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    archive = tmp_path / "archive"
    app = create_app(open_store(f"sqlite:///{tmp_path / 'jobs.db'}", b"tracking-secret"), ADMIN, str(archive))
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", archive
    server.should_exit = True
    thread.join(10)


@pytest.fixture(autouse=True)
def pex_root(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PEX_ROOT", str(tmp_path_factory.getbasetemp() / "pex-root"))


def pipeline_and_pexes() -> tuple[Pipeline, dict[str, Path]]:
    tools = tools_by_image(sorted(Path("gears").glob("*/src/docker/manifest.json")))
    pipeline = resolve(Path("pipelines/site-reports.yaml"), tools)
    return pipeline, {name: tool_pex(name) for name in ("csv-splitter", "column-report")}


def test_tracked_run_ends_finished_archived_indexed_and_on_the_status_page(
    service: tuple[str, Path], tmp_path: Path
) -> None:
    url, archive = service
    pipeline, pexes = pipeline_and_pexes()
    job = pipeline_job(pipeline, [f"table={DATA / 'measurements.csv'}"])
    tracked = tracked_run(pipeline, job, tmp_path / "out", JobClient(url, ADMIN), archive, pexes)
    assert tracked.job["state"] == "FINISHED"
    assert [e["name"] for e in tracked.job["history"]] == ["create", "run", "finish", "index", "indexed"]
    assert tracked.job["history"][-1]["data"] == {"files": 12}
    folder = archive / tracked.job["archive_path"].lstrip("/")
    assert len(list((folder / "s1_column_report_summary").rglob("summary.json"))) == 3
    page = httpx.get(url + "/").text
    assert tracked.job["uuid"] in page and ">FINISHED<" in page and "Per-site column reports" in page
    seen = rendered_text(url + "/", tmp_path)
    assert "Pipeline jobs" in seen and "Per-site column reports" in seen
    assert f"{tracked.job['uuid']} FINISHED" in seen
    assert "create → CREATED" in seen and "indexed → FINISHED" in seen


def rendered_text(url: str, tmp_path: Path) -> str:
    """The page as headless Chromium renders it, reduced to its visible text."""
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        pytest.skip("no Chromium (Debian's chromium; .ci/run installs it): the rendered page is not checked")
    flags = ["--headless", "--no-sandbox", "--disable-gpu", f"--user-data-dir={tmp_path / 'chromium'}"]
    dom = subprocess.run([browser, *flags, "--dump-dom", url], capture_output=True, text=True, timeout=120, check=True)
    text = re.sub(r"<style.*?</style>|<[^>]+>", " ", dom.stdout, flags=re.S)
    return " ".join(html.unescape(text).split())


def test_failed_run_leaves_the_job_failed_with_the_step(service: tuple[str, Path], tmp_path: Path) -> None:
    url, archive = service
    pipeline, pexes = pipeline_and_pexes()
    bad = tmp_path / "bad.csv"
    bad.write_text("sample,site,weight_kg\nP1,Boston,heavy\n")
    client = JobClient(url, ADMIN)
    with pytest.raises(UserError, match="step s1_column_report"):
        tracked_run(pipeline, pipeline_job(pipeline, [f"table={bad}"]), tmp_path / "out", client, archive, pexes)
    [job] = httpx.get(url + "/jobs", params={"state": "FAILED"}).json()
    history = httpx.get(f"{url}/jobs/{job['uuid']}").json()["history"]
    assert [e["name"] for e in history] == ["create", "run", "fail"]
    assert "weight_kg = 'heavy' is not a number" in history[-1]["data"]["error"]
