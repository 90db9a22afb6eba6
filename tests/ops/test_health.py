"""`uptake health` against real databases: green, and red for each way a deployment breaks."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine

from bot.cli import main
from bot.ops.heartbeat import beat
from bot.outbox import enqueue
from storage.engine import make_engine
from storage.migrate import MIGRATIONS, upgrade
from storage.models import utcnow
from tests.conftest import _postgres_database

HEAD = ScriptDirectory(str(MIGRATIONS)).get_current_head()


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, database_url: str) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", database_url)


def health(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, list[str]]:
    status = main(["health", *args])
    return status, capsys.readouterr().out.splitlines()


def test_green_with_a_fresh_heartbeat_and_a_migrated_database(
    env: None, engine: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    beat(engine, "clock", now=utcnow() - dt.timedelta(seconds=40))
    enqueue(engine, key="k", kind="test", channel="U0ADA", text="hi", now=utcnow())

    status, lines = health(capsys, "--require", "clock")

    assert status == 0
    assert lines[:3] == ["ok   database: reachable", f"ok   migrations: at head {HEAD}", lines[2]]
    assert lines[2].startswith("ok   clock: beat 4") and "(pid " in lines[2]
    assert lines[3].startswith("ok   outbox: oldest due message waiting ")
    assert len(lines) == 4


def test_json_for_machines(env: None, engine: Engine, capsys: pytest.CaptureFixture[str]) -> None:
    status, lines = health(capsys, "--json")
    report = json.loads("\n".join(lines))
    assert status == 0 and report["ok"] is True
    assert [check["name"] for check in report["checks"]] == ["database", "migrations", "outbox"]
    assert report["checks"][2] == {"name": "outbox", "ok": True, "detail": "no message waiting"}


def test_a_stale_heartbeat_fails_even_when_not_required(
    env: None, engine: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    beat(engine, "clock", now=utcnow())
    beat(engine, "socket", now=utcnow() - dt.timedelta(minutes=10))

    status, lines = health(capsys)

    assert status == 1
    assert any(line.startswith("ok   clock: beat ") for line in lines)
    [stale] = [line for line in lines if line.startswith("FAIL")]
    assert stale.startswith("FAIL socket: last beat 10m ago on ")
    assert "limit 3m" in stale
    assert health(capsys, "--max-heartbeat-age", "15")[0] == 0


def test_a_required_process_that_never_beat_is_not_running(
    env: None, engine: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    status, lines = health(capsys, "--require", "clock,socket")
    assert status == 1
    assert "FAIL clock: not running (it has never sent a heartbeat)" in lines
    assert "FAIL socket: not running (it has never sent a heartbeat)" in lines

    with pytest.raises(SystemExit) as stopped:
        main(["health", "--require", "web"])
    assert stopped.value.code == 2
    assert "unknown process(es) web" in capsys.readouterr().err


def test_an_old_pending_outbox_message_fails(
    env: None, engine: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    hour_ago = utcnow() - dt.timedelta(hours=1)
    enqueue(engine, key="stuck", kind="test", channel="U0ADA", text="hi", now=hour_ago)
    # Scheduled for later is not waiting, however long ago it was written.
    enqueue(
        engine,
        key="tomorrow",
        kind="test",
        channel="U0ADA",
        text="hi",
        now=hour_ago,
        not_before=utcnow() + dt.timedelta(days=1),
    )

    status, lines = health(capsys)

    assert status == 1
    assert lines[-1].startswith("FAIL outbox: oldest due message waiting 60m, limit 15m")
    assert health(capsys, "--max-outbox-wait", "90")[0] == 0


@pytest.fixture
def behind_head(request: pytest.FixtureRequest, database_url: str, tmp_path: Path) -> str:
    """A fresh database of the same kind, migrated only to the revision before head."""
    if database_url.startswith("sqlite"):
        url = f"sqlite:///{tmp_path / 'old.db'}"
    else:
        url = _postgres_database(request)
    engine = make_engine(url)
    try:
        upgrade(engine, "0005")
    finally:
        engine.dispose()
    return url


def test_a_database_behind_head_fails(
    behind_head: str,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", behind_head)

    status, lines = health(capsys)

    assert status == 1
    assert lines[0] == "ok   database: reachable"
    assert lines[1] == f"FAIL migrations: at 0005, code expects {HEAD}; run `uptake db upgrade`"
    # Without the heartbeat table the heartbeats cannot be read: that fails too, not crashes.
    assert lines[2].startswith("FAIL heartbeats: could not be read (")


@pytest.mark.parametrize(
    "url",
    [
        "sqlite:///{tmp}/no-such-dir/uptake.db",
        "postgresql://postgres@127.0.0.1:1/uptake",  # nothing listens on port 1
    ],
)
def test_an_unreachable_database_fails_alone(
    url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", url.format(tmp=tmp_path))

    status, lines = health(capsys)

    assert status == 1
    assert lines == ["FAIL database: unreachable (OperationalError)"]
