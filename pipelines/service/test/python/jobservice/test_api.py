"""The job service's HTTP API on both stores: routes, the errors' statuses and messages, indexing,
the status page and the OpenAPI document."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from jobservice.app import create_app
from jobservice.store import open_store

from polygear.dev.workspace import find_specs
from polygear.testing.klms import minio_block, minio_client, s3_server

SECRET = b"job-service-test-secret"
ADMIN = "admin-token-for-tests"
BEARER = {"Authorization": f"Bearer {ADMIN}"}
PIPELINE = {
    "name": "CSV by site",
    "components": [{"repo": "polygear/csv-splitter:0.1.0", "options": {"column": "site"}}],
}


def specs() -> Path | None:
    return find_specs("sd2e-pipeline.schema.json")


@pytest.fixture()
def client(store_url: str, tmp_path: Path) -> Iterator[TestClient]:
    app = create_app(open_store(store_url, SECRET), ADMIN, str(tmp_path / "archive"), specs())
    with TestClient(app) as test_client:
        yield test_client


def new_job(client: TestClient, data: dict[str, Any] | None = None) -> tuple[str, str, str]:
    pipeline = client.post("/pipelines", json=PIPELINE, headers=BEARER)
    pipeline_uuid = (
        pipeline.json()["uuid"] if pipeline.status_code == 201 else client.get("/pipelines").json()[0]["uuid"]
    )
    job = client.post("/jobs", json={"pipeline_uuid": pipeline_uuid, "data": data or {"n": 1}}, headers=BEARER)
    assert job.status_code == 201, job.text
    return pipeline_uuid, job.json()["uuid"], job.json()["token"]


def test_admin_token_guards_creation(client: TestClient) -> None:
    assert client.post("/pipelines", json=PIPELINE).json() == {
        "error": "an admin bearer token is required (Authorization: Bearer ...)",
        "status": 401,
    }
    wrong = client.post("/pipelines", json=PIPELINE, headers={"Authorization": "Bearer nope"})
    assert (wrong.status_code, wrong.json()["error"]) == (403, "the admin bearer token is not valid")
    made = client.post("/pipelines", json=PIPELINE, headers=BEARER)
    assert made.status_code == 201 and made.json()["uuid"].startswith("106") and len(made.json()["token"]) == 16
    again = client.post("/pipelines", json=PIPELINE, headers=BEARER)
    assert again.status_code == 409


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"components": []}, "name: expected a string, found None"),
        (
            {"name": "x", "components": [{"repo": "a:1", "colour": "red"}]},
            "components[0]: expected the keys of exactly one SD2E component type",
        ),
        ([1, 2], "expected a pipeline document (a JSON object)"),
    ],
)
def test_bad_pipeline_bodies(client: TestClient, body: Any, message: str) -> None:
    response = client.post("/pipelines", json=body, headers=BEARER)
    assert (response.status_code, response.json()["error"]) == (400, message)


def test_bodies_are_validated_against_sd2e_schemas(client: TestClient) -> None:
    if specs() is None:
        pytest.skip("SD2E's schemas not found: set POLYGEAR_SPECS")
    bad_level = client.post("/pipelines", json={**PIPELINE, "processing_levels": ["9"]}, headers=BEARER)
    assert bad_level.status_code == 400
    assert (
        bad_level.json()["error"]
        == "processing_levels.0: '9' is not one of ['0', '1', '2', '3'] (SD2E's sd2e-pipeline.schema.json)"
    )
    with_id = client.post("/pipelines", json={**PIPELINE, "id": "polygear/demo"}, headers=BEARER)
    assert with_id.status_code == 201  # an id is allowed besides SD2E's schema, as its own fixtures have
    _, uuid, token = new_job(client, {"n": 9})
    sd2e_form = client.post("/events", json={"uuid": uuid, "event": "index", "token": token})
    assert sd2e_form.status_code == 400 and "'index' is not one of" in sd2e_form.json()["error"]
    assert client.post("/events", json={"uuid": uuid, "event": "run", "token": token}).json()["state"] == "RUNNING"
    pasted = "d3adb33f" * 8  # e.g. a secret pasted as a token: never echoed back
    echoed = client.post("/events", json={"uuid": uuid, "event": "update", "token": pasted})
    assert echoed.status_code == 400 and echoed.json()["error"].startswith("token: expected maxLength 17")
    assert pasted not in echoed.text


def test_a_pipeline_document_cannot_carry_its_uuid(client: TestClient) -> None:
    spoof = client.post("/pipelines", json={**PIPELINE, "uuid": "spoofed"}, headers=BEARER)
    assert (spoof.status_code, spoof.json()["error"]) == (
        400,
        "uuid: expected no uuid in a pipeline document (the service computes it)",
    )
    assert client.get("/no/such/route").json() == {"error": "Not Found", "status": 404}


def test_pipeline_update_needs_its_current_token(client: TestClient) -> None:
    made = client.post("/pipelines", json=PIPELINE, headers=BEARER).json()
    updated = client.put(
        f"/pipelines/{made['uuid']}", params={"token": made["token"]}, json={**PIPELINE, "name": "renamed"}
    )
    assert updated.status_code == 200 and updated.json()["uuid"] == made["uuid"]
    stale = client.put(f"/pipelines/{made['uuid']}", params={"token": made["token"]}, json=PIPELINE)
    assert stale.status_code == 403 and "stale" in stale.json()["error"]
    changed = {**PIPELINE, "components": [{"repo": "polygear/csv-splitter:0.1.0"}]}
    refused = client.put(f"/pipelines/{made['uuid']}", params={"token": updated.json()["token"]}, json=changed)
    assert refused.status_code == 409 and "create a new pipeline instead" in refused.json()["error"]
    assert client.get(f"/pipelines/{made['uuid']}").json()["name"] == "renamed"
    assert client.get("/pipelines/10600000-0000-5000-8000-000000000000").status_code == 404


def test_events_both_forms_tokens_and_refusals(client: TestClient) -> None:
    _, uuid, token = new_job(client)
    run = client.post("/events", json={"uuid": uuid, "name": "run", "token": token, "data": {"host": "n1"}})
    assert (run.status_code, run.json()["state"]) == (200, "RUNNING")
    sd2e_spelling = client.post("/events", json={"uuid": uuid, "event": "update", "token": token})
    assert sd2e_spelling.json()["state"] == "RUNNING"
    missing = client.post("/events", json={"uuid": uuid, "name": "finish"})
    assert missing.status_code == 401
    wrong = client.post("/events", json={"uuid": uuid, "name": "finish", "token": "0123456789abcdef"})
    assert wrong.status_code == 403
    refused = client.post("/events", json={"uuid": uuid, "name": "validated", "token": token})
    assert refused.json() == {
        "error": "event 'validated' is not allowed in state RUNNING (allowed: fail, finish, reset, resource, run, update)",
        "status": 409,
    }
    unknown = client.post("/events", json={"uuid": uuid, "name": "explode", "token": token})
    assert unknown.status_code == 400 and unknown.json()["error"].startswith("unknown event 'explode'")
    extra = client.post("/events", json={"uuid": uuid, "name": "run", "token": token, "colour": "red"})
    assert (extra.status_code, extra.json()["error"]) == (400, "colour: Extra inputs are not permitted")
    no_job = client.post(
        "/events", json={"uuid": "10700000-0000-5000-8000-000000000000", "name": "run", "token": token}
    )
    assert no_job.status_code == 404
    finish = client.post(f"/jobs/{uuid}/events/finish", params={"token": token}, json={"outputs": 3})
    assert (finish.status_code, finish.json()["state"], finish.json()["event"]["data"]) == (
        200,
        "FINISHED",
        {"outputs": 3},
    )
    job = client.get(f"/jobs/{uuid}").json()
    assert [e["name"] for e in job["history"]] == ["create", "run", "update", "finish"]
    assert job["last_event"]["name"] == "finish" and "token" not in job and "salt" not in job


def test_indexing_records_the_selected_files(client: TestClient, tmp_path: Path) -> None:
    _, uuid, token = new_job(client, {"n": 2})
    job = client.get(f"/jobs/{uuid}").json()
    folder = tmp_path / "archive" / job["archive_path"].lstrip("/")
    (folder / "plots").mkdir(parents=True)
    (folder / "summary.json").write_text("{}")
    (folder / "plots" / "site_a.png").write_bytes(b"\x89PNG")
    (folder / "notes.txt").write_text("x")
    client.post("/events", json={"uuid": uuid, "name": "run", "token": token})
    client.post("/events", json={"uuid": uuid, "name": "finish", "token": token})
    bad = client.post(f"/jobs/{uuid}/index", json={"uuid": uuid, "name": "index", "token": token, "level": "9"})
    assert bad.status_code == 400 and bad.json()["error"].startswith("level: expected one of 0, 1, 2, 3, Reference")
    done = client.post(
        f"/jobs/{uuid}/index",
        json={"uuid": uuid, "name": "index", "token": token, "filters": [r"\.json$", r"\.png$"], "level": "2"},
    )
    assert done.status_code == 200, done.text
    assert done.json()["state"] == "FINISHED"
    assert [(f["path"], f["level"]) for f in done.json()["files"]] == [("plots/site_a.png", "2"), ("summary.json", "2")]
    assert done.json()["files"][1]["checksum"].startswith("sha256:44136fa355b3678a")
    names = [e["name"] for e in client.get(f"/jobs/{uuid}").json()["history"]]
    assert names[-2:] == ["index", "indexed"]


def test_indexing_an_s3_archive(store_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The archive root as a MinIO/S3 bucket (moto on loopback), read with the minio SDK."""
    with s3_server() as endpoint:
        mc = minio_client(endpoint)
        mc.make_bucket("archive")
        block = minio_block(endpoint)
        monkeypatch.setenv("POLYGEAR_JOBS_S3_ENDPOINT", endpoint)
        monkeypatch.setenv("POLYGEAR_JOBS_S3_ACCESS_KEY", block["id"])
        monkeypatch.setenv("POLYGEAR_JOBS_S3_SECRET_KEY", block["key"])
        app = create_app(open_store(store_url, SECRET), ADMIN, "s3://archive/lab")
        with TestClient(app) as client:
            _, uuid, token = new_job(client, {"n": 5})
            path = client.get(f"/jobs/{uuid}").json()["archive_path"].strip("/")
            for name, content in (("summary.json", b"{}"), ("plots/a.png", b"\x89PNG"), ("log.txt", b"x")):
                mc.put_object("archive", f"lab/{path}/{name}", io.BytesIO(content), len(content))
            client.post("/events", json={"uuid": uuid, "name": "run", "token": token})
            client.post("/events", json={"uuid": uuid, "name": "finish", "token": token})
            body = {
                "uuid": uuid,
                "name": "index",
                "token": token,
                "filters": [r"\.json$", r"\.png$"],
                "level": "Reference",
            }
            done = client.post(f"/jobs/{uuid}/index", json=body)
            assert done.status_code == 200, done.text
            assert [(f["path"], f["level"], f["size"]) for f in done.json()["files"]] == [
                ("plots/a.png", "Reference", 4),
                ("summary.json", "Reference", 2),
            ]
            assert done.json()["files"][1]["checksum"].startswith("sha256:44136fa355b3678a")
            assert done.json()["state"] == "FINISHED"


def test_lists_status_page_and_openapi(client: TestClient) -> None:
    pipeline, uuid, token = new_job(client)
    client.post("/events", json={"uuid": uuid, "name": "run", "token": token})
    assert [j["uuid"] for j in client.get("/jobs", params={"pipeline_uuid": pipeline, "state": "RUNNING"}).json()] == [
        uuid
    ]
    assert client.get("/jobs", params={"state": "FAILED"}).json() == []
    page = client.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "CSV by site" in page.text and uuid in page.text and ">RUNNING<" in page.text
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/pipelines", "/jobs", "/events", "/jobs/{uuid}/index", "/jobs/{uuid}/events/{name}"} <= set(paths)


def test_tokens_never_reach_the_log(client: TestClient, caplog: pytest.LogCaptureFixture) -> None:
    _, uuid, token = new_job(client)
    with caplog.at_level(logging.INFO, logger="jobservice"):
        client.post(f"/jobs/{uuid}/events/run", params={"token": token})
    assert any(f"/jobs/{uuid}/events/run 200" in r.getMessage() for r in caplog.records)
    assert all(token not in r.getMessage() and ADMIN not in r.getMessage() for r in caplog.records)
