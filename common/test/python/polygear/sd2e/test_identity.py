"""Identifiers as SD2E's catalog computes them (its reference vectors), tokens and the catalog's rules."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from polygear.sd2e.catalog import Conflict, Immutable, NotFound, PipelineCatalog
from polygear.sd2e.identifiers import archive_path, catalog_uuid, compact_json, hashid, job_uuid, pipeline_uuid
from polygear.sd2e.tokens import TokenError, issue, verify
from polygear.testing.specs import specs_or_skip

SECRET = b"test-secret-not-for-production"


def vectors() -> Path:
    return specs_or_skip("sd2e-vectors/pipeline.tacobot.json") / "sd2e-vectors"


def tacobot() -> dict[str, Any]:
    return json.loads((vectors() / "pipeline.tacobot.json").read_text())


def test_pipeline_uuid_is_sd2e_s() -> None:
    assert pipeline_uuid(tacobot()) == "10650844-1baa-55c5-a481-5e945b19c065"


def test_job_uuid_and_archive_path_are_sd2e_s() -> None:
    job = json.loads((vectors() / "pipelinejob.tacobot.json").read_text())
    assert job_uuid(job["pipeline_uuid"], job["child_of"], job["data"]) == "107b93f3-1eae-5e79-8a18-0a480f8aa3a5"
    path = archive_path(job["pipeline_uuid"], job["child_of"], job["data"])
    assert path.startswith("/products/v2/106508441baa55c5a4815e945b19c065/")
    assert path.split("/")[4] == hashid(catalog_uuid(":".join(sorted(job["child_of"]))))
    assert path.split("/")[5] == hashid(catalog_uuid(compact_json(job["data"])))
    assert archive_path(job["pipeline_uuid"], job["child_of"], job["data"], "solid-snake-20260101T000000Z").endswith(
        "/solid-snake-20260101T000000Z"
    )


def test_hashid_of_empty_data_is_sd2e_s() -> None:
    assert hashid(catalog_uuid(compact_json({}))) == "PAVpwrObxp5YjYRvrJOd5yVp"


def test_renaming_keeps_the_uuid_and_any_component_change_changes_it() -> None:
    base = tacobot()
    renamed = {**base, "name": "Tacobot 9001", "description": "other", "produces": ["JPEG"]}
    assert pipeline_uuid(renamed) == pipeline_uuid(base)
    changed = json.loads(json.dumps(base))
    changed["components"][1]["parameters"]["smoke"] = False
    reordered = {**base, "components": list(reversed(base["components"]))}
    other_id = {**base, "id": "tacc/tacobot:9001"}
    uuids = {pipeline_uuid(d) for d in (base, changed, reordered, other_id)}
    assert len(uuids) == 4
    assert all(u.startswith("106") for u in uuids)


def test_token_is_16_hex_and_bound_to_document_and_salt() -> None:
    token = issue(SECRET, "10650844-1baa-55c5-a481-5e945b19c065", "salt-1")
    assert len(token) == 16 and all(c in "0123456789abcdef" for c in token)
    verify(SECRET, "10650844-1baa-55c5-a481-5e945b19c065", "salt-1", token)
    for uuid, salt, secret in (
        ("10650844-0000-55c5-a481-5e945b19c065", "salt-1", SECRET),
        ("10650844-1baa-55c5-a481-5e945b19c065", "salt-2", SECRET),
        ("10650844-1baa-55c5-a481-5e945b19c065", "salt-1", b"other"),
    ):
        with pytest.raises(TokenError, match="not the current token"):
            verify(secret, uuid, salt, token)


@pytest.mark.parametrize(
    ("token", "message"),
    [
        (None, "an update token is required"),
        ("", "an update token is required"),
        ("XYZ", "16 lowercase hex"),
        (123, "16 lowercase hex"),
        ("0123456789abcdef", "not the current token"),
    ],
)
def test_bad_tokens_are_refused(token: object, message: str) -> None:
    catalog = PipelineCatalog(SECRET)
    uuid, _ = catalog.create(tacobot())
    with pytest.raises(TokenError, match=message):
        catalog.update(uuid, {**tacobot(), "name": "x"}, token)
    assert catalog.get(uuid).document["name"] == "Tacobot 9000"  # nothing changed


def test_update_with_current_token_keeps_uuid_and_stales_the_old_token() -> None:
    catalog = PipelineCatalog(SECRET)
    uuid, first = catalog.create(tacobot())
    second = catalog.update(uuid, {**tacobot(), "name": "Tacobot 9001"}, first)
    assert second != first
    assert catalog.get(uuid).document["name"] == "Tacobot 9001"
    with pytest.raises(TokenError, match="stale"):
        catalog.update(uuid, {**tacobot(), "name": "again"}, first)
    third = catalog.update(uuid, {**tacobot(), "description": "new"}, second)
    assert third not in (first, second)


def test_components_are_immutable_and_the_hint_names_the_new_uuid() -> None:
    catalog = PipelineCatalog(SECRET)
    uuid, token = catalog.create(tacobot())
    changed = json.loads(json.dumps(tacobot()))
    changed["components"][0]["options"] = {"fast": True}
    with pytest.raises(
        Immutable,
        match=f"components cannot change; create a new pipeline instead \\(its UUID would be {pipeline_uuid(changed)}\\)",
    ):
        catalog.update(uuid, changed, token)
    with pytest.raises(Conflict, match="exists"):
        catalog.create(tacobot())
    with pytest.raises(NotFound):
        catalog.update("10600000-0000-5000-8000-000000000000", tacobot(), token)
