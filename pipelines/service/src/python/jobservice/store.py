"""One store interface, two databases: SQLite (WAL; the embedded default) and PostgreSQL.

    open_store("sqlite:///jobs.db", secret)      one file, nothing to install
    open_store("postgresql://user@host/db", secret)   several service replicas, one database

Every write is one transaction that reads what it checks under the write lock (SQLite: `BEGIN
IMMEDIATE`; PostgreSQL: `SELECT ... FOR UPDATE`), so two processes posting events to one job at
once never lose or reorder an accepted event, and an acknowledged write survives a crash (SQLite:
WAL with `synchronous=FULL`; PostgreSQL: its own WAL). Schema migrations are the numbered files in
`migrations/`, applied in order on open and recorded in `schema_migrations`.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from polygear.sd2e.catalog import (
    CatalogError,
    Conflict,
    Immutable,
    NotFound,
    already_registered,
    refuse_identity_change,
)
from polygear.sd2e.identifiers import pipeline_uuid
from polygear.sd2e.jobs import Event, Job, accept, new_job, now
from polygear.sd2e.tokens import issue, new_salt, verify

__all__ = ["CatalogError", "Conflict", "Immutable", "JobStore", "NotFound", "open_store"]

BUSY_TIMEOUT_S = 30
MIGRATION_LOCK = 7_260_411  # PostgreSQL advisory lock id of this service's migrations


def migrations() -> list[tuple[int, str]]:
    """(version, SQL) for every `migrations/NNNN_name.sql`, in order."""
    folder = resources.files("jobservice") / "migrations"
    found = sorted(
        (int(f.name.split("_", 1)[0]), f.read_text(encoding="utf-8"))
        for f in folder.iterdir()
        if f.name.endswith(".sql")
    )
    versions = [v for v, _ in found]
    if versions != list(range(1, len(versions) + 1)):
        raise RuntimeError(f"migrations must be numbered 0001, 0002, ... without gaps; found {versions}")
    return found


class JobStore:
    """Pipelines and jobs in one SQL database; subclasses say how to connect and lock."""

    placeholder = "?"

    def __init__(self, secret: bytes) -> None:
        if not secret:
            raise ValueError("the job store needs a non-empty token secret")
        self.secret = secret
        self._lock = threading.RLock()  # one connection, used by the service's worker threads in turn

    # --- what subclasses provide -------------------------------------------------------------
    @contextmanager
    def transaction(self) -> Iterator[Any]:  # a cursor inside one write transaction
        raise NotImplementedError
        yield

    def lock_clause(self) -> str:
        return ""

    # --- schema ------------------------------------------------------------------------------
    def migrate(self) -> int:
        """Apply the migrations not applied yet; the schema version now."""
        with self.transaction() as cur:
            cur.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied TEXT NOT NULL)"
            )
            cur.execute("SELECT version FROM schema_migrations")
            done = {row[0] for row in cur.fetchall()}
            version = max(done, default=0)
            for number, sql in migrations():
                if number in done:
                    continue
                for statement in (s.strip() for s in sql.split(";")):
                    if statement and not all(line.startswith("--") for line in statement.splitlines()):
                        cur.execute(statement)
                cur.execute(self.q("INSERT INTO schema_migrations (version, applied) VALUES (?, ?)"), (number, now()))
                version = number
        return version

    def q(self, sql: str) -> str:
        return sql.replace("?", self.placeholder)

    # --- pipelines (the catalog's rules: polygear.sd2e.catalog) -------------------------------
    def create_pipeline(self, document: dict[str, Any]) -> tuple[str, str]:
        uuid = pipeline_uuid(document)
        salt = new_salt()
        with self.transaction() as cur:
            cur.execute(self.q("SELECT uuid FROM pipelines WHERE uuid = ?"), (uuid,))
            if cur.fetchone():
                raise already_registered(uuid)
            stamp = now()
            cur.execute(
                self.q("INSERT INTO pipelines (uuid, document, salt, created, updated) VALUES (?, ?, ?, ?, ?)"),
                (uuid, json.dumps(document), salt, stamp, stamp),
            )
        return uuid, issue(self.secret, uuid, salt)

    def update_pipeline(self, uuid: str, document: dict[str, Any], token: object) -> str:
        salt = new_salt()
        with self.transaction() as cur:
            cur.execute(self.q(f"SELECT document, salt FROM pipelines WHERE uuid = ?{self.lock_clause()}"), (uuid,))
            row = cur.fetchone()
            if row is None:
                raise NotFound(f"pipeline {uuid}: no such pipeline")
            verify(self.secret, uuid, row[1], token)
            refuse_identity_change(uuid, json.loads(row[0]), document)
            cur.execute(
                self.q("UPDATE pipelines SET document = ?, salt = ?, updated = ? WHERE uuid = ?"),
                (json.dumps(document), salt, now(), uuid),
            )
        return issue(self.secret, uuid, salt)

    def get_pipeline(self, uuid: str) -> dict[str, Any]:
        with self.transaction() as cur:
            cur.execute(self.q("SELECT document FROM pipelines WHERE uuid = ?"), (uuid,))
            row = cur.fetchone()
        if row is None:
            raise NotFound(f"pipeline {uuid}: no such pipeline")
        return {**json.loads(row[0]), "uuid": uuid}

    def list_pipelines(self) -> list[dict[str, Any]]:
        with self.transaction() as cur:
            cur.execute("SELECT uuid, document FROM pipelines ORDER BY created, uuid")
            rows = cur.fetchall()
        return [{**json.loads(doc), "uuid": uuid} for uuid, doc in rows]

    # --- jobs --------------------------------------------------------------------------------
    def create_job(
        self, pipeline: str, child_of: Sequence[str], data: dict[str, Any], instance: str | None = None
    ) -> tuple[Job, str]:
        job, token = new_job(self.secret, pipeline, child_of, data, instance)
        with self.transaction() as cur:
            cur.execute(self.q("SELECT uuid FROM pipelines WHERE uuid = ?"), (pipeline,))
            if cur.fetchone() is None:
                raise NotFound(f"pipeline {pipeline}: no such pipeline")
            cur.execute(self.q("SELECT uuid FROM jobs WHERE uuid = ?"), (job.uuid,))
            if cur.fetchone():
                raise Conflict(f"job {job.uuid} exists (same pipeline, child_of and data)")
            cur.execute(
                self.q(
                    "INSERT INTO jobs (uuid, pipeline_uuid, child_of, data, archive_path, state, salt, updated)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
                ),
                (
                    job.uuid,
                    pipeline,
                    json.dumps(job.child_of),
                    json.dumps(job.data),
                    job.archive_path,
                    job.state,
                    job.salt,
                    now(),
                ),
            )
            self._append(cur, job.uuid, 0, job.history[0])
        return job, token

    def post_event(self, uuid: str, name: str, token: object, data: dict[str, Any] | None = None) -> tuple[Job, Event]:
        """Check token and transition, append the event and move the job, all in one transaction.

        The job comes back without its history (get_job reads it): a post reads only what it checks."""
        with self.transaction() as cur:
            job = self._load(cur, uuid, lock=True, history=False)
            cur.execute(self.q("SELECT COUNT(*) FROM events WHERE job_uuid = ?"), (uuid,))
            sequence = int(cur.fetchone()[0])
            event = accept(self.secret, job, name, token, data, sequence)
            self._append(cur, uuid, sequence, event)
            cur.execute(
                self.q("UPDATE jobs SET state = ?, updated = ? WHERE uuid = ?"), (event.state, event.date, uuid)
            )
        job.state = event.state
        return job, event

    def get_job(self, uuid: str) -> Job:
        with self.transaction() as cur:
            return self._load(cur, uuid, lock=False)

    def list_jobs(self, pipeline: str | None = None, state: str | None = None) -> list[dict[str, Any]]:
        sql = "SELECT uuid, pipeline_uuid, state, archive_path, updated FROM jobs WHERE 1 = 1"
        args: list[str] = []
        if pipeline:
            sql, args = sql + " AND pipeline_uuid = ?", [*args, pipeline]
        if state:
            sql, args = sql + " AND state = ?", [*args, state]
        with self.transaction() as cur:
            cur.execute(self.q(sql + " ORDER BY updated, uuid"), tuple(args))
            rows = cur.fetchall()
        keys = ("uuid", "pipeline_uuid", "state", "archive_path", "updated")
        return [dict(zip(keys, row, strict=True)) for row in rows]

    def record_files(self, job: str, files: Sequence[dict[str, Any]]) -> None:
        """The indexer's findings for a job: replaces what an earlier indexing recorded."""
        with self.transaction() as cur:
            cur.execute(self.q("DELETE FROM files WHERE job_uuid = ?"), (job,))
            for f in files:
                cur.execute(
                    self.q("INSERT INTO files (job_uuid, path, level, checksum, size) VALUES (?, ?, ?, ?, ?)"),
                    (job, f["path"], f["level"], f["checksum"], f["size"]),
                )

    def files(self, job: str) -> list[dict[str, Any]]:
        with self.transaction() as cur:
            cur.execute(
                self.q("SELECT path, level, checksum, size FROM files WHERE job_uuid = ? ORDER BY path"), (job,)
            )
            rows = cur.fetchall()
        return [dict(zip(("path", "level", "checksum", "size"), row, strict=True)) for row in rows]

    def _append(self, cur: Any, job: str, seq: int, event: Event) -> None:
        cur.execute(
            self.q("INSERT INTO events (job_uuid, seq, uuid, name, state, date, data) VALUES (?, ?, ?, ?, ?, ?, ?)"),
            (job, seq, event.uuid, event.name, event.state, event.date, json.dumps(event.data)),
        )

    def _load(self, cur: Any, uuid: str, lock: bool, history: bool = True) -> Job:
        lock_sql = self.lock_clause() if lock else ""
        cur.execute(
            self.q(
                f"SELECT pipeline_uuid, child_of, data, archive_path, state, salt FROM jobs WHERE uuid = ?{lock_sql}"
            ),
            (uuid,),
        )
        row = cur.fetchone()
        if row is None:
            raise NotFound(f"job {uuid}: no such job")
        job = Job(uuid, row[0], json.loads(row[1]), json.loads(row[2]), row[3], row[4], row[5])
        if history:
            cur.execute(
                self.q("SELECT uuid, name, state, date, data FROM events WHERE job_uuid = ? ORDER BY seq"), (uuid,)
            )
            job.history = [Event(e[0], e[1], e[2], e[3], json.loads(e[4])) for e in cur.fetchall()]
        return job


class SqliteStore(JobStore):
    def __init__(self, path: Path, secret: bytes) -> None:
        super().__init__(secret)
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=False)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=FULL")  # an acknowledged write is on disk
        self._conn.execute("PRAGMA foreign_keys=ON")
        self._conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_S * 1000}")

    @contextmanager
    def transaction(self) -> Iterator[Any]:
        with self._lock:
            cur = self._conn.cursor()
            cur.execute("BEGIN IMMEDIATE")  # the write lock first: what is checked is what is written over
            try:
                yield cur
            except BaseException:
                cur.execute("ROLLBACK")
                raise
            else:
                cur.execute("COMMIT")
            finally:
                cur.close()

    def close(self) -> None:
        self._conn.close()


class PostgresStore(JobStore):
    placeholder = "%s"

    def __init__(self, url: str, secret: bytes) -> None:
        super().__init__(secret)
        import psycopg

        self._conn = psycopg.connect(url, autocommit=False)

    def lock_clause(self) -> str:
        return " FOR UPDATE"

    @contextmanager
    def transaction(self) -> Iterator[Any]:
        import psycopg

        with self._lock:
            try:
                with self._conn.transaction(), self._conn.cursor() as cur:
                    yield cur
            except psycopg.errors.UniqueViolation as exc:  # a create racing another replica's
                raise Conflict(f"exists already ({exc.diag.constraint_name or 'unique key'})") from None

    def migrate(self) -> int:
        """Replicas starting together take turns: an advisory lock for the migration's transaction."""
        with self.transaction() as cur:
            cur.execute("SELECT pg_advisory_lock(%s)", (MIGRATION_LOCK,))
        try:
            return super().migrate()
        finally:
            with self.transaction() as cur:
                cur.execute("SELECT pg_advisory_unlock(%s)", (MIGRATION_LOCK,))

    def close(self) -> None:
        self._conn.close()


def open_store(url: str, secret: bytes) -> JobStore:
    """`sqlite:///relative.db`, `sqlite:////absolute.db` or `postgresql://...`; migrated on open."""
    parts = urlsplit(url)
    store: JobStore
    if parts.scheme == "sqlite":
        path = url.removeprefix("sqlite:///")
        if not path or path == url:
            raise ValueError(f"--db {url}: expected sqlite:///PATH")
        store = SqliteStore(Path(path), secret)
    elif parts.scheme in ("postgresql", "postgres"):
        store = PostgresStore(url, secret)
    else:
        raise ValueError(f"--db {parts.scheme or url}: expected a sqlite:/// or postgresql:// URL")
    store.migrate()
    return store
