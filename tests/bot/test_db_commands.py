"""`uptake db` and plain `alembic`, each on a database of its own (never the shared one)."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlmodel import SQLModel

from bot.cli import main
from storage import partitions
from storage.engine import make_engine
from storage.migrate import MIGRATIONS, current_revision, downgrade, upgrade
from tests.conftest import _postgres_database

REPO_ROOT = Path(__file__).resolve().parents[2]
REVISIONS = [script.revision for script in ScriptDirectory(str(MIGRATIONS)).walk_revisions()]
HEAD = REVISIONS[0]  # newest first


class Terminal(io.StringIO):
    """Standard input typed at a terminal."""

    def isatty(self) -> bool:
        return True


@pytest.fixture(params=["sqlite", "postgresql"])
def own_database(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> str:
    """An empty database for this test alone, set as DATABASE_URL."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'uptake.db'}"
    else:
        url = _postgres_database(request)
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.chdir(tmp_path)
    return url


@pytest.fixture
def sqlite_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A migrated SQLite file for this test alone, set as DATABASE_URL."""
    url = f"sqlite:///{tmp_path / 'uptake.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.chdir(tmp_path)
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    return url


def revision_of(url: str) -> str | None:
    engine = make_engine(url)
    try:
        return current_revision(engine)
    finally:
        engine.dispose()


def test_history_lists_every_revision_and_marks_the_current_one(
    own_database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["db", "history"]) == 0
    before = capsys.readouterr().out
    assert "no migrations applied" in before and "(current)" not in before

    assert main(["db", "upgrade"]) == 0
    capsys.readouterr()
    assert main(["db", "history"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines] == REVISIONS
    assert lines[0].endswith("(head) (current)")
    assert sum("(current)" in line for line in lines) == 1


def test_downgrade_to_the_previous_revision_then_upgrade_again(
    own_database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    previous = REVISIONS[1]
    assert main(["db", "upgrade"]) == 0
    assert main(["db", "downgrade", previous, "--yes"]) == 0
    assert f"database at revision {previous}" in capsys.readouterr().out
    assert revision_of(own_database) == previous

    assert main(["db", "upgrade"]) == 0
    assert revision_of(own_database) == HEAD
    engine = make_engine(own_database)
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "include_name": partitions.include_name}
        )
        assert compare_metadata(context, SQLModel.metadata) == []
    engine.dispose()


def test_every_migration_undoes_cleanly(own_database: str) -> None:
    engine = make_engine(own_database)
    upgrade(engine)
    downgrade(engine, "base")
    assert current_revision(engine) is None
    upgrade(engine)
    assert current_revision(engine) == HEAD
    engine.dispose()


def test_downgrade_asks_first_and_refuses_without_a_terminal(
    sqlite_database: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    previous = REVISIONS[1]
    monkeypatch.setattr(sys, "stdin", io.StringIO("y\n"))
    assert main(["db", "downgrade", previous]) == 1
    assert "pass --yes" in capsys.readouterr().err
    assert revision_of(sqlite_database) == HEAD

    monkeypatch.setattr(sys, "stdin", Terminal("n\n"))
    assert main(["db", "downgrade", previous]) == 1
    out = capsys.readouterr().out
    assert f"{HEAD} " in out and "Nothing changed." in out
    assert revision_of(sqlite_database) == HEAD

    monkeypatch.setattr(sys, "stdin", Terminal("yes\n"))
    assert main(["db", "downgrade", previous]) == 0
    assert revision_of(sqlite_database) == previous


def test_downgrade_names_a_revision_it_cannot_go_to(
    sqlite_database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["db", "downgrade", "9999", "--yes"]) == 2
    assert "uptake db history" in capsys.readouterr().err
    assert main(["db", "downgrade", HEAD, "--yes"]) == 0
    assert f"already at revision {HEAD}" in capsys.readouterr().out
    assert revision_of(sqlite_database) == HEAD


def test_sql_prints_postgresql_ddl_without_connecting(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # Nothing listens there: offline mode needs only the URL's dialect.
    monkeypatch.setenv("DATABASE_URL", "postgresql://uptake:secret@db.invalid:5432/uptake")
    assert main(["db", "sql"]) == 0
    everything = capsys.readouterr().out
    assert everything.startswith("BEGIN;") and everything.rstrip().endswith("COMMIT;")
    assert "CREATE TABLE person (" in everything and "SERIAL" in everything
    assert f"INSERT INTO alembic_version (version_num) VALUES ('{REVISIONS[-1]}')" in everything
    assert f"version_num='{HEAD}'" in everything

    assert main(["db", "sql", "--from", REVISIONS[1]]) == 0
    latest = capsys.readouterr().out
    assert f"Running upgrade {REVISIONS[1]} -> {HEAD}" in latest
    assert "CREATE TABLE person (" not in latest

    assert main(["db", "sql", "--from", HEAD, "--to", REVISIONS[1]]) == 0
    assert f"Running downgrade {HEAD} -> {REVISIONS[1]}" in capsys.readouterr().out

    assert main(["db", "sql", "--to", "9999"]) == 2
    assert "9999" in capsys.readouterr().err


def test_every_db_subcommand_has_a_description_and_an_example(
    capsys: pytest.CaptureFixture[str],
) -> None:
    for name in ("upgrade", "current", "history", "downgrade", "sql"):
        with pytest.raises(SystemExit):
            main(["db", name, "--help"])
        help_text = capsys.readouterr().out
        usage, description, *_ = help_text.split("\n\n")
        assert usage.startswith(f"usage: uptake db {name}") and description.endswith(".")
        assert f"uptake db {name}" in help_text.partition("example:\n")[2]


def test_plain_alembic_uses_alembic_ini_and_database_url(tmp_path: Path) -> None:
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'plain.db'}"}

    def alembic(*args: str) -> str:
        return subprocess.run(
            [sys.executable, "-m", "alembic", *args],
            cwd=REPO_ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout

    alembic("upgrade", "head")
    assert alembic("current").split() == [HEAD, "(head)"]
    history = alembic("history")
    assert all(f"-> {revision}" in history for revision in REVISIONS)
    assert revision_of(env["DATABASE_URL"]) == HEAD
