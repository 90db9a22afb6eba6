"""The `uptake` command line, run in-process against both databases."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine

from bot.cli import main
from storage.migrate import MIGRATIONS
from storage.models import DailyUsage, Person, Team


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, database_url: str) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", database_url)
    for name in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN"):
        monkeypatch.delenv(name, raising=False)


def counts(engine: Engine) -> tuple[int, int, int]:
    with engine.connect() as connection:
        return tuple(  # type: ignore[return-value]
            connection.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()
            for table in (Person, Team, DailyUsage)
        )


def test_help_lists_every_command() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli", "--help"], capture_output=True, text=True, check=True
    )
    for command in ("start", "serve", "socket", "clock", "db", "demo", "import", "myusage"):
        assert command in result.stdout


def test_bad_setting_stops_with_one_line(
    env: None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("RETENTION_DAYS", "forever")
    assert main(["db", "current"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("uptake: Invalid setting RETENTION_DAYS")
    assert "\n" not in err


def test_demo_is_idempotent_and_shows_sample_answers(
    env: None, engine: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["demo", "--people", "40", "--days", "60"]) == 0
    first = counts(engine)
    out = capsys.readouterr().out
    assert "Demo organisation ready: 40 people" in out
    assert "/myusage for a" in out and "Tier:" in out

    assert main(["demo", "--people", "40", "--days", "60"]) == 0
    assert counts(engine) == first
    assert first[0] == 40 and first[2] > 100


def test_demo_rejects_silly_sizes(env: None, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--people", "1"]) == 2
    assert "--people" in capsys.readouterr().err


def test_myusage_prints_the_slack_answer(
    env: None, engine: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    main(["demo", "--people", "40", "--days", "60"])
    capsys.readouterr()
    assert main(["myusage", "--user", "UDEMO0001", "--window", "90d"]) == 0
    out = capsys.readouterr().out
    assert "Your AI tool usage — last 90 days" in out
    assert main(["myusage", "--email", "nobody@example.com"]) == 1
    assert main(["myusage", "--user", "UDEMO0001", "--window", "30d"]) == 2


def test_import_reports_bad_lines_and_exits_nonzero(
    env: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "u.csv"
    bad.write_text("email,tool,date\na@x.io,cursor,2026-11-01\nb@x.io,cursor,yesterday\n")
    assert main(["import", "usage", str(bad)]) == 1
    err = capsys.readouterr().err
    assert f"{bad}:3: date" in err
    assert "nothing was imported" in err

    good = tmp_path / "g.csv"
    good.write_text("email,tool,date,interactions\na@x.io,cursor,2026-11-01,3\n")
    assert main(["import", "usage", str(good)]) == 0
    assert "Imported 1 rows" in capsys.readouterr().out
    assert main(["import", "usage", str(tmp_path / "missing.csv")]) == 1


def test_db_upgrade_reports_the_revision(env: None, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["db", "upgrade"]) == 0
    head = ScriptDirectory(str(MIGRATIONS)).get_current_head()
    assert f"database at revision {head}" in capsys.readouterr().out


def test_serve_without_credentials_explains_what_is_missing(
    env: None, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["serve"]) == 2
    assert "SLACK_SIGNING_SECRET" in capsys.readouterr().err
    assert main(["socket"]) == 2


def test_start_without_credentials_runs_the_demo(
    env: None, engine: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["start"]) == 0
    out = capsys.readouterr().out
    assert "No Slack credentials" in out and "Demo organisation ready: 300 people" in out
    assert "A sample tip for the light user" in out and "Read more: https://" in out
    assert counts(engine)[0] == 300


def test_sources_shows_an_error_only_while_it_is_the_latest_news(
    env: None, engine: Engine, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import datetime as dt

    from storage.models import SyncState
    from tests.factories import set_sync_state

    monkeypatch.setenv("CURSOR_API_KEY", "key_abcdefgh12345678")
    failed = dt.datetime(2026, 11, 24, 6, tzinfo=dt.UTC)
    set_sync_state(
        engine,
        SyncState(
            source="cursor",
            last_success_at=failed - dt.timedelta(hours=1),
            last_error_at=failed,
            last_error="cursor: HTTP 500",
        ),
    )
    assert main(["sources"]) == 0
    assert "FAILING: cursor: HTTP 500" in capsys.readouterr().out
    set_sync_state(
        engine,
        SyncState(
            source="cursor",
            last_success_at=failed + dt.timedelta(hours=1),
            last_error_at=failed,
            last_error="cursor: HTTP 500",
        ),
    )
    assert main(["sources"]) == 0
    out = capsys.readouterr().out
    assert "cursor       on" in out and "FAILING" not in out
    assert "copilot      off" in out
