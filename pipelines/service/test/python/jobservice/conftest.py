"""The same store tests against SQLite (a temp file) and a real, throw-away PostgreSQL cluster
(jobservice.testing); without a server binary the PostgreSQL cases are skipped with the reason."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from jobservice.testing import NoServer, throwaway_cluster


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    try:
        with throwaway_cluster() as url:
            yield url
    except NoServer as exc:
        pytest.skip(str(exc))


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'jobs.db'}"
        return
    url = request.getfixturevalue("postgres_url")
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:  # a clean schema for every test
        conn.execute("DROP SCHEMA public CASCADE")
        conn.execute("CREATE SCHEMA public")
    yield url
