"""`uptake` stops on a problem an operator can fix with a line or two naming the setting."""

from __future__ import annotations

import gc
import logging
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory

from bot.cli import main
from storage.engine import make_engine
from storage.migrate import MIGRATIONS, upgrade
from tests.conftest import _postgres_database
from tests.fakes.slack_api import FakeSlackAPI, SlackError

BOT_TOKEN = "xoxb-1111-2222-startupsecret"


@pytest.fixture(autouse=True)
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """A folder without a .env file; the root logger restored after `main` configures it."""
    monkeypatch.chdir(tmp_path)
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    yield
    root.handlers[:], level = saved
    root.setLevel(level)
    for name in ("slack_sdk", "slack_bolt", "urllib3", "httpx", "httpcore", "openai", "alembic"):
        logging.getLogger(name).setLevel(logging.NOTSET)


@pytest.fixture
def fake_slack() -> Iterator[FakeSlackAPI]:
    with FakeSlackAPI() as fake:
        yield fake


@pytest.fixture
def slack_env(monkeypatch: pytest.MonkeyPatch, fake_slack: FakeSlackAPI, database_url: str) -> None:
    """A migrated database and Slack settings pointing at the fake Slack server."""
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("SLACK_BOT_TOKEN", BOT_TOKEN)
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "signing-secret")
    monkeypatch.setenv("SLACK_API_URL", fake_slack.url)


def short_error(capsys: pytest.CaptureFixture[str]) -> str:
    """What `uptake` printed on standard error, checked to be one or two lines and no trace."""
    err = capsys.readouterr().err.strip()
    assert "Traceback" not in err
    assert 1 <= len(err.splitlines()) <= 2, err
    return err


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgresql://uptake:hunter2@db.internal:notaport/uptake", "DATABASE_URL"),
        ("mysql://uptake:hunter2@db.internal/uptake", "DATABASE_URL"),
        ("sqlite:////nonexistent/dir/uptake.db", "DATABASE_URL"),
    ],
)
def test_a_bad_database_url_is_a_configuration_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], url: str, expected: str
) -> None:
    monkeypatch.setenv("DATABASE_URL", url)
    assert main(["db", "current"]) == 2
    err = short_error(capsys)
    assert expected in err and "hunter2" not in err


def test_an_unreachable_database_names_it_without_the_password(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://nobody:hunter2@127.0.0.1:1/uptake")
    assert main(["sources"]) == 1
    err = short_error(capsys)
    assert err.startswith("uptake sources: cannot connect to the database at ")
    assert "127.0.0.1:1/uptake" in err and "Connection refused" in err and "DATABASE_URL" in err
    assert "hunter2" not in err and "nobody" not in err


def test_the_traceback_shows_only_at_debug(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://nobody:hunter2@127.0.0.1:1/uptake")
    monkeypatch.setenv("LOG_LEVEL", "DEBUG")
    assert main(["sources"]) == 1
    err = capsys.readouterr().err
    assert "Traceback" in err and "hunter2" not in err
    assert (
        err.strip().splitlines()[-1]
        == "Check DATABASE_URL and that the database server is running and reachable."
    )


@pytest.mark.usefixtures("slack_env")
@pytest.mark.parametrize("error", ["invalid_auth", "token_revoked", "account_inactive"])
def test_a_refused_bot_token_stops_serve(
    fake_slack: FakeSlackAPI, capsys: pytest.CaptureFixture[str], error: str
) -> None:
    fake_slack.fail_next("auth.test", SlackError(error))
    assert main(["serve"]) == 2
    err = short_error(capsys)
    assert err.startswith(f"uptake serve: Slack refused SLACK_BOT_TOKEN ({error})")
    assert BOT_TOKEN not in err and "startupsecret" not in err


@pytest.mark.usefixtures("slack_env")
def test_a_revoked_token_stops_people(
    fake_slack: FakeSlackAPI, capsys: pytest.CaptureFixture[str]
) -> None:
    fake_slack.revoke_token(BOT_TOKEN)
    assert main(["people"]) == 2
    assert "Slack refused SLACK_BOT_TOKEN (invalid_auth)" in short_error(capsys)


@pytest.mark.usefixtures("slack_env")
def test_slack_out_of_reach_names_slack_api_url(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with socket.socket() as closed:  # a port nothing listens on
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    monkeypatch.setenv("SLACK_API_URL", f"http://127.0.0.1:{port}/api/")
    assert main(["serve"]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err and BOT_TOKEN not in err
    # slack_sdk logs each retry; the last line says what failed and what to check.
    assert err.strip().splitlines()[-1] == (
        f"uptake serve: cannot reach Slack at http://127.0.0.1:{port}/api/ "
        "([Errno 111] Connection refused): check SLACK_API_URL and this machine's network"
    )


@pytest.mark.usefixtures("slack_env")
# waitress leaves the socket it could not bind for the garbage collector to close.
@pytest.mark.filterwarnings("ignore::ResourceWarning")
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_a_port_in_use_names_port(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        monkeypatch.setenv("PORT", str(port))
        assert main(["serve"]) == 1
    gc.collect()
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert err.strip().splitlines()[-1] == (
        f"uptake serve: port {port} is already in use: stop what listens there or set PORT"
    )


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A database of each kind with no tables at all."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'behind.db'}"
    return _postgres_database(request)


def test_serve_on_a_database_behind_head_says_to_upgrade(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    fake_slack: FakeSlackAPI,
    empty_database_url: str,
) -> None:
    script = ScriptDirectory(str(MIGRATIONS))
    head = script.get_revision("head")
    assert head is not None
    previous = head.down_revision
    assert isinstance(previous, str)
    engine = make_engine(empty_database_url)
    upgrade(engine, previous)
    engine.dispose()
    capsys.readouterr()  # what the migration logged, if an earlier test left logging on
    monkeypatch.setenv("DATABASE_URL", empty_database_url)
    monkeypatch.setenv("SLACK_BOT_TOKEN", BOT_TOKEN)
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "signing-secret")
    monkeypatch.setenv("SLACK_API_URL", fake_slack.url)

    assert main(["serve"]) == 1
    err = short_error(capsys)
    assert f"is at migration {previous}, behind" in err and "run `uptake db upgrade`" in err
    assert fake_slack.calls("auth.test") == []  # stopped before building the app

    assert main(["db", "upgrade"]) == 0
    capsys.readouterr()


def test_serve_on_an_empty_database_says_to_upgrade(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'empty.db'}")
    monkeypatch.setenv("SLACK_BOT_TOKEN", BOT_TOKEN)
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "signing-secret")
    assert main(["serve"]) == 1
    assert "has no tables yet: run `uptake db upgrade`" in short_error(capsys)
