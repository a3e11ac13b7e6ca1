"""Pipeline jobs: SD2E's state machine, exactly, and what an accepted event records.

The table is SD2E's (python-datacatalog's PipelineJob). An event not allowed in the job's current
state is refused naming the state and the events it allows, and nothing changes. Every accepted
event is appended to the job's history with a `108`-typed event UUID, the time and its data. A job's
token (one per job, issued at create) must come with every event; a missing, wrong or malformed
token is refused before anything else is looked at.

Stores (SQLite, PostgreSQL: the job service) call `accept` inside their write transaction, so the
check and the write see the same state.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from polygear.sd2e.identifiers import archive_path, event_uuid, job_uuid
from polygear.sd2e.tokens import issue, new_salt, verify

NEW = "(new)"
ANY = "*"
STATES = (
    "CREATED",
    "RUNNING",
    "FAILED",
    "FINISHED",
    "INDEXING",
    "VALIDATING",
    "VALIDATED",
    "REJECTED",
    "FINALIZED",
    "RETIRED",
    "RESET",
)
SAME = "(same)"
# event -> (states it is allowed in, the state it leads to)
TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    "create": (frozenset({NEW}), "CREATED"),
    "run": (frozenset({"CREATED", "RUNNING"}), "RUNNING"),
    "update": (frozenset({"CREATED", "RUNNING", "VALIDATING", "INDEXING"}), SAME),
    "resource": (frozenset({"CREATED", "RUNNING"}), SAME),
    "fail": (frozenset({"CREATED", "RUNNING", "VALIDATING", "INDEXING"}), "FAILED"),
    "finish": (frozenset({"RUNNING", "FINISHED"}), "FINISHED"),
    "index": (frozenset({"FINISHED", "INDEXING"}), "INDEXING"),
    "indexed": (frozenset({"FINISHED", "INDEXING"}), "FINISHED"),
    "validate": (frozenset({"FINISHED", "VALIDATED"}), "VALIDATING"),
    "validated": (frozenset({"VALIDATING", "VALIDATED"}), "VALIDATED"),
    "reject": (frozenset({"VALIDATING"}), "REJECTED"),
    "finalize": (frozenset({"VALIDATED"}), "FINALIZED"),
    "retire": (frozenset({"FAILED", "FINALIZED", "FINISHED", "REJECTED", "VALIDATING", "VALIDATED"}), "RETIRED"),
    "reset": (frozenset({ANY}), "RESET"),
    "ready": (frozenset({"RESET"}), "CREATED"),
}


class TransitionRefused(Exception):
    """The event is not allowed in the job's state (HTTP 409); nothing changed."""


class UnknownEvent(ValueError):
    pass


def allowed_events(state: str) -> list[str]:
    return sorted(name for name, (sources, _) in TRANSITIONS.items() if state in sources or ANY in sources)


def next_state(state: str, event: str) -> str:
    if event not in TRANSITIONS:
        raise UnknownEvent(f"unknown event {event!r}; events: {', '.join(sorted(TRANSITIONS))}")
    sources, target = TRANSITIONS[event]
    if state not in sources and ANY not in sources:
        allowed = ", ".join(allowed_events(state)) or "none"
        raise TransitionRefused(f"event {event!r} is not allowed in state {state} (allowed: {allowed})")
    return state if target == SAME else target


def now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")


@dataclass(frozen=True)
class Event:
    uuid: str
    name: str
    state: str  # the job's state after the event
    date: str
    data: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        return {"uuid": self.uuid, "name": self.name, "state": self.state, "date": self.date, "data": self.data}


@dataclass
class Job:
    uuid: str
    pipeline_uuid: str
    child_of: list[str]
    data: dict[str, Any]
    archive_path: str
    state: str
    salt: str = field(repr=False)
    history: list[Event] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """The job as the API shows it (never its salt or token)."""
        return {
            "uuid": self.uuid,
            "pipeline_uuid": self.pipeline_uuid,
            "child_of": self.child_of,
            "data": self.data,
            "archive_path": self.archive_path,
            "state": self.state,
            "last_event": self.history[-1].as_dict() if self.history else None,
            "history": [e.as_dict() for e in self.history],
        }


def new_job(
    secret: bytes, pipeline: str, child_of: Sequence[str], data: dict[str, Any], instance: str | None = None
) -> tuple[Job, str]:
    """A CREATED job with its `create` event, and its token (returned once, never stored)."""
    uuid = job_uuid(pipeline, list(child_of), data)
    salt = new_salt()
    job = Job(uuid, pipeline, list(child_of), dict(data), archive_path(pipeline, child_of, data, instance), NEW, salt)
    event = make_event(job, "create", {}, 0)
    job.state = event.state
    job.history.append(event)
    return job, issue(secret, uuid, salt)


def make_event(job: Job, name: str, data: dict[str, Any], sequence: int, date: str | None = None) -> Event:
    """The event `name` applied to `job` (its new state), numbered `sequence` in the job's history."""
    state = next_state(job.state, name)
    when = date or now()
    return Event(event_uuid(f"{job.uuid}:{sequence}:{name}:{when}"), name, state, when, dict(data))


def accept(
    secret: bytes, job: Job, name: str, token: object, data: dict[str, Any] | None = None, sequence: int | None = None
) -> Event:
    """Check the token, then the transition; the event to append (the caller writes it and the state).

    `sequence`: the event's number in the job's history when `job.history` is not loaded (a store
    reads only the state, the salt and the count under its write lock)."""
    verify(secret, job.uuid, job.salt, token)
    return make_event(job, name, data or {}, len(job.history) if sequence is None else sequence)
