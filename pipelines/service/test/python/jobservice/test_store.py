"""The job store on SQLite and PostgreSQL: SD2E's state machine, tokens, history, concurrent writers."""

from __future__ import annotations

import json
import multiprocessing
from pathlib import Path
from typing import Any

import pytest
from jobservice.store import Conflict, Immutable, NotFound, open_store

from polygear.sd2e.jobs import TRANSITIONS, TransitionRefused, allowed_events
from polygear.sd2e.tokens import TokenError
from polygear.testing.specs import specs_or_skip

SECRET = b"job-service-test-secret"
PIPELINE = {"name": "demo", "components": [{"repo": "polygear/csv-splitter:0.1.0", "options": {"column": "site"}}]}


def vectors() -> Path:
    return specs_or_skip("sd2e-vectors/pipeline.tacobot.json") / "sd2e-vectors"


def test_migrations_apply_once(store_url: str) -> None:
    store = open_store(store_url, SECRET)
    assert store.migrate() == 2  # reopening applies nothing new
    open_store(store_url, SECRET)


def test_job_uuid_and_archive_path_are_sd2e_s(store_url: str) -> None:
    store = open_store(store_url, SECRET)
    tacobot = json.loads((vectors() / "pipeline.tacobot.json").read_text())
    uuid, _ = store.create_pipeline(tacobot)
    assert uuid == "10650844-1baa-55c5-a481-5e945b19c065"
    vector = json.loads((vectors() / "pipelinejob.tacobot.json").read_text())
    job, token = store.create_job(uuid, vector["child_of"], vector["data"])
    assert job.uuid == "107b93f3-1eae-5e79-8a18-0a480f8aa3a5"
    assert job.archive_path.startswith("/products/v2/106508441baa55c5a4815e945b19c065/")
    assert len(token) == 16
    stored = store.get_job(job.uuid)
    assert (stored.state, [e.name for e in stored.history]) == ("CREATED", ["create"])
    assert stored.history[0].uuid.startswith("108")
    with pytest.raises(Conflict):
        store.create_job(uuid, vector["child_of"], vector["data"])
    with pytest.raises(NotFound, match="no such pipeline"):
        store.create_job("10600000-0000-5000-8000-000000000000", [], {})


def test_the_whole_lifecycle_and_history(store_url: str) -> None:
    store = open_store(store_url, SECRET)
    pipeline, _ = store.create_pipeline(PIPELINE)
    job, token = store.create_job(pipeline, [], {"table": "visits.csv"})
    path = ["run", "update", "resource", "finish", "index", "indexed", "validate", "validated", "finalize", "retire"]
    states = []
    for name in path:
        job, event = store.post_event(job.uuid, name, token, {"step": name})
        states.append(event.state)
    assert states == [
        "RUNNING",
        "RUNNING",
        "RUNNING",
        "FINISHED",
        "INDEXING",
        "FINISHED",
        "VALIDATING",
        "VALIDATED",
        "FINALIZED",
        "RETIRED",
    ]
    stored = store.get_job(job.uuid)
    assert [e.name for e in stored.history] == ["create", *path]
    assert stored.history[3].data == {"step": "resource"}
    assert len({e.uuid for e in stored.history}) == len(stored.history)
    assert stored.as_dict()["last_event"]["name"] == "retire"
    assert "salt" not in stored.as_dict() and token not in json.dumps(stored.as_dict())
    job, _ = store.post_event(job.uuid, "reset", token)
    job, _ = store.post_event(job.uuid, "ready", token)
    assert job.state == "CREATED"


@pytest.mark.parametrize("event", sorted(TRANSITIONS))
def test_every_transition_from_every_state(event: str) -> None:
    """The table itself: each event is allowed exactly in the states SD2E's machine allows."""
    from polygear.sd2e.jobs import STATES, next_state

    for state in STATES:
        if event in allowed_events(state):
            next_state(state, event)
        else:
            with pytest.raises(TransitionRefused, match=f"event '{event}' is not allowed in state {state}"):
                next_state(state, event)


def test_refused_transition_changes_nothing(store_url: str) -> None:
    store = open_store(store_url, SECRET)
    pipeline, _ = store.create_pipeline(PIPELINE)
    job, token = store.create_job(pipeline, [], {})
    with pytest.raises(
        TransitionRefused,
        match=r"event 'finish' is not allowed in state CREATED \(allowed: fail, reset, resource, run, update\)",
    ):
        store.post_event(job.uuid, "finish", token)
    store.post_event(job.uuid, "run", token)
    store.post_event(job.uuid, "fail", token, {"step": "s1", "error": "boom"})
    with pytest.raises(TransitionRefused, match="not allowed in state FAILED"):
        store.post_event(job.uuid, "run", token)
    assert [e.name for e in store.get_job(job.uuid).history] == ["create", "run", "fail"]


@pytest.mark.parametrize("token", [None, "", "0123456789abcdef", "not-a-token"])
def test_bad_tokens_are_refused_and_change_nothing(store_url: str, token: Any) -> None:
    store = open_store(store_url, SECRET)
    pipeline, _ = store.create_pipeline(PIPELINE)
    job, good = store.create_job(pipeline, [], {})
    with pytest.raises(TokenError):
        store.post_event(job.uuid, "run", token)
    other_pipeline, _ = store.create_pipeline({**PIPELINE, "id": "other"})
    _, other_token = store.create_job(other_pipeline, [], {})
    with pytest.raises(TokenError):
        store.post_event(job.uuid, "run", other_token)  # another job's token
    assert store.get_job(job.uuid).state == "CREATED"
    store.post_event(job.uuid, "run", good)


def test_pipeline_catalog_rules(store_url: str) -> None:
    store = open_store(store_url, SECRET)
    uuid, first = store.create_pipeline(PIPELINE)
    second = store.update_pipeline(uuid, {**PIPELINE, "name": "renamed"}, first)
    assert store.get_pipeline(uuid)["name"] == "renamed"
    with pytest.raises(TokenError, match="stale"):
        store.update_pipeline(uuid, {**PIPELINE, "name": "again"}, first)
    changed = {**PIPELINE, "components": [{"repo": "polygear/csv-splitter:0.1.0", "options": {"column": "visit"}}]}
    with pytest.raises(Immutable, match="create a new pipeline instead"):
        store.update_pipeline(uuid, changed, second)
    with pytest.raises(Conflict):
        store.create_pipeline(PIPELINE)
    assert [p["uuid"] for p in store.list_pipelines()] == [uuid]


def test_list_jobs_by_pipeline_and_state(store_url: str) -> None:
    store = open_store(store_url, SECRET)
    p1, _ = store.create_pipeline(PIPELINE)
    p2, _ = store.create_pipeline({**PIPELINE, "id": "second"})
    a, ta = store.create_job(p1, [], {"n": 1})
    store.create_job(p1, [], {"n": 2})
    store.create_job(p2, [], {"n": 3})
    store.post_event(a.uuid, "run", ta)
    assert len(store.list_jobs(p1)) == 2
    assert [j["uuid"] for j in store.list_jobs(p1, "RUNNING")] == [a.uuid]
    assert len(store.list_jobs(state="CREATED")) == 2


def _writer(url: str, job: str, token: str, writer: int, count: int) -> None:
    store = open_store(url, SECRET)
    for n in range(count):
        store.post_event(job, "update", token, {"writer": writer, "n": n})


def test_four_concurrent_writers_lose_and_reorder_nothing(store_url: str) -> None:
    store = open_store(store_url, SECRET)
    pipeline, _ = store.create_pipeline(PIPELINE)
    job, token = store.create_job(pipeline, [], {})
    store.post_event(job.uuid, "run", token)
    count = 50
    context = multiprocessing.get_context("fork")
    writers = [context.Process(target=_writer, args=(store_url, job.uuid, token, w, count)) for w in range(4)]
    for process in writers:
        process.start()
    for process in writers:
        process.join(120)
        assert process.exitcode == 0
    history = store.get_job(job.uuid).history
    updates = [e.data for e in history if e.name == "update"]
    assert len(history) == 2 + 4 * count
    assert sorted((d["writer"], d["n"]) for d in updates) == [(w, n) for w in range(4) for n in range(count)]
    for w in range(4):  # each writer's events in the order it posted them
        assert [d["n"] for d in updates if d["writer"] == w] == list(range(count))
    assert store.get_job(job.uuid).state == "RUNNING"


def _open(url: str) -> None:
    open_store(url, SECRET)


def _create(url: str, pipeline: str) -> None:
    try:
        open_store(url, SECRET).create_job(pipeline, [], {"same": True})
    except Conflict:
        raise SystemExit(3) from None


def test_replicas_starting_and_creating_together(store_url: str) -> None:
    """Four processes migrate one fresh database at once, then create the same job at once: one wins."""
    context = multiprocessing.get_context("fork")
    openers = [context.Process(target=_open, args=(store_url,)) for _ in range(4)]
    for process in openers:
        process.start()
    for process in openers:
        process.join(60)
    assert [p.exitcode for p in openers] == [0, 0, 0, 0]
    pipeline, _ = open_store(store_url, SECRET).create_pipeline(PIPELINE)
    creators = [context.Process(target=_create, args=(store_url, pipeline)) for _ in range(4)]
    for process in creators:
        process.start()
    for process in creators:
        process.join(60)
    assert sorted(p.exitcode or 0 for p in creators) == [0, 3, 3, 3]


def test_an_update_cannot_drop_or_change_the_id(store_url: str) -> None:
    store = open_store(store_url, SECRET)
    uuid, token = store.create_pipeline({**PIPELINE, "id": "polygear/demo"})
    with pytest.raises(Immutable, match="its id is part of its UUID"):
        store.update_pipeline(uuid, PIPELINE, token)
    assert store.get_pipeline(uuid)["id"] == "polygear/demo"
