"""Shared fixtures: both databases, settings, and factories for people and usage."""

from __future__ import annotations

import datetime as dt
import os
import tempfile
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

from bot.settings import Settings
from storage.engine import make_engine
from storage.migrate import upgrade

# matplotlib (digest charts) keeps its font cache here, never in the developer's home.
os.environ.setdefault("MPLCONFIGDIR", tempfile.mkdtemp(prefix="uptake-mpl-"))

# The server CI starts; override to point the suite at another PostgreSQL.
POSTGRES_ADMIN_URL = os.environ.get(
    "UPTAKE_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def _postgres_database(request: pytest.FixtureRequest) -> str:
    """Create a throwaway database on the test server; it is dropped when the session ends."""
    admin = sa.create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"uptake_test_{uuid.uuid4().hex[:12]}"
    try:
        with admin.connect() as connection:
            connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    except sa.exc.OperationalError as exc:
        admin.dispose()
        pytest.fail(
            f"PostgreSQL is required for the test suite but is not reachable at "
            f"{POSTGRES_ADMIN_URL}: {exc.orig}",
            pytrace=False,
        )

    def drop() -> None:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    request.addfinalizer(drop)
    return POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"


class MigratedDatabases:
    """The session's migrated databases, one of each kind, each made when first asked for."""

    def __init__(
        self, request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
    ) -> None:
        self._request = request
        self._tmp_path_factory = tmp_path_factory
        self._urls: dict[str, str] = {}

    def url(self, kind: str) -> str:
        if kind not in self._urls:
            if kind == "sqlite":
                url = f"sqlite:///{self._tmp_path_factory.mktemp('db') / 'uptake.db'}"
            else:
                url = _postgres_database(self._request)  # dropped when the session ends
            engine = make_engine(url)
            upgrade(engine)
            engine.dispose()
            self._urls[kind] = url
        return self._urls[kind]


@pytest.fixture(scope="session")
def migrated_databases(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> MigratedDatabases:
    """Where `database_url` keeps its databases for the whole session."""
    # pytest finalises a parametrised session fixture whenever the next test wants the other
    # parameter, and a pytest-xdist worker alternates kinds module by module: kept here, each
    # database is made once per worker rather than once per module.
    return MigratedDatabases(request, tmp_path_factory)


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, migrated_databases: MigratedDatabases) -> str:
    """A migrated database of each kind, shared by the session's tests."""
    return migrated_databases.url(request.param)


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """An engine on an empty, migrated database."""
    engine = make_engine(database_url)
    with engine.begin() as connection:
        for table in reversed(SQLModel.metadata.sorted_tables):
            connection.execute(table.delete())
    yield engine
    engine.dispose()


@pytest.fixture(autouse=True)
def isolated_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test sees Uptake settings from the machine's environment (tokens, URLs, keys)."""
    for name in Settings.model_fields:
        monkeypatch.delenv(name.upper(), raising=False)


def make_settings(**overrides: Any) -> Settings:
    """Settings for tests: never read from the developer's environment or .env file."""
    values: dict[str, Any] = {"database_url": "sqlite://", **overrides}
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@pytest.fixture
def today() -> dt.date:
    """A fixed 'today' so window arithmetic is repeatable."""
    return dt.date(2026, 11, 25)
