"""The `uptake` command line, run in-process against both databases."""

from __future__ import annotations

import argparse
import logging
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from importlib.metadata import version
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine

from bot.cli import COMMAND_MODULES, build_parser, main, parser_for
from bot.cli.demo import myusage_hint
from bot.cli.processes import clock_client, missing_slack_credentials
from storage import queries
from storage.engine import session as open_session
from storage.migrate import MIGRATIONS
from storage.models import DailyUsage, Person, Team
from tests.conftest import make_settings
from tests.factories import make_identity, make_person


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


def test_start_without_credentials_says_which_and_runs_the_demo_over_an_earlier_one(
    env: None, engine: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["demo", "--people", "10", "--days", "56"]) == 0
    capsys.readouterr()
    assert main(["start"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(
        "Uptake cannot answer Slack: SLACK_BOT_TOKEN is not set, and neither "
        "SLACK_SIGNING_SECRET (for HTTP) nor SLACK_APP_TOKEN (for Socket Mode) is "
        "(see .env.example). "
        "Here is the demo instead."
    )
    assert "Demo organisation ready: 300 people" in out
    assert "A sample tip for the light user" in out and "Read more: https://" in out
    assert counts(engine)[0] == 300


@pytest.mark.parametrize(
    ("settings", "missing"),
    [
        ({}, "SLACK_BOT_TOKEN is not set, and neither SLACK_SIGNING_SECRET (for HTTP) nor"),
        ({"slack_signing_secret": "s3cret"}, "SLACK_BOT_TOKEN is not set"),
        ({"slack_app_token": "xapp-1-A1-1-ab"}, "SLACK_BOT_TOKEN is not set"),
        (
            {"slack_bot_token": "xoxb-1-2-ab"},
            "SLACK_BOT_TOKEN is set, but neither SLACK_SIGNING_SECRET (for HTTP) nor "
            "SLACK_APP_TOKEN (for Socket Mode) is",
        ),
        ({"slack_bot_token": "xoxb-1-2-ab", "slack_app_token": "xapp-1-A1-1-ab"}, ""),
    ],
)
def test_missing_slack_credentials_names_them(settings: dict[str, str], missing: str) -> None:
    found = missing_slack_credentials(make_settings(**settings))
    assert found.startswith(missing) and (found == "") == (missing == "")


def _a_real_person(engine: Engine) -> None:
    make_person(engine, slack_user_id="U012AB3CD", email="ada@bank.example.com")


def _a_person_dressed_as_the_demo(engine: Engine) -> None:
    make_person(engine, slack_user_id="UDEMO0001", email="ada@bank.example.com")


def _a_vendor_account(engine: Engine) -> None:
    make_identity(engine, tool="cursor", external_id="ada@bank.example.com")


def _a_team(engine: Engine) -> None:
    with open_session(engine) as session:
        queries.upsert_teams(session, [{"slug": "payments", "name": "Payments", "parent_id": None}])
        session.commit()


@pytest.mark.parametrize(
    ("real_data", "held"),
    [
        (_a_real_person, "1 person"),
        (_a_person_dressed_as_the_demo, "1 person"),
        (_a_vendor_account, "1 tool account"),
        (_a_team, "1 team"),
    ],
)
@pytest.mark.parametrize("command", ["demo", "start"])
def test_demo_never_writes_beside_real_data(
    env: None,
    engine: Engine,
    capsys: pytest.CaptureFixture[str],
    *,
    command: str,
    real_data: Callable[[Engine], None],
    held: str,
) -> None:
    real_data(engine)
    before = counts(engine)
    assert main([command]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and "Demo organisation" not in captured.err
    assert f"uptake {command}: not writing the demo into " in captured.err
    assert f"it holds {held} that the demo did not write" in captured.err
    assert "DATABASE_URL=sqlite:///demo.db " in captured.err
    if command == "start":
        assert "uptake start: Uptake cannot answer Slack: SLACK_BOT_TOKEN is not set" in (
            captured.err
        )
    assert counts(engine) == before


def test_start_with_half_the_credentials_names_the_missing_one_and_spares_real_data(
    env: None, engine: Engine, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _a_real_person(engine)
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-1-2-ab")
    assert main(["start"]) == 2
    err = capsys.readouterr().err
    assert "SLACK_BOT_TOKEN is set, but neither SLACK_SIGNING_SECRET (for HTTP) nor" in err
    assert "not writing the demo" in err
    assert counts(engine)[0] == 1


def test_the_demo_hint_works_as_typed(
    env: None, engine: Engine, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["demo", "--people", "10", "--days", "56"]) == 0
    out = capsys.readouterr().out
    hint = out.rsplit("Try this from this folder:\n", 1)[1].strip()
    assert hint.startswith(f"DATABASE_URL={database_url} ") or hint.startswith(
        f"DATABASE_URL='{database_url}' "
    )
    assert " myusage --user UDEMO" in hint and hint.endswith(" --window 90d")
    # Typed into a fresh shell in the same folder, without DATABASE_URL exported.
    fresh = {name: value for name, value in os.environ.items() if name != "DATABASE_URL"}
    shell = subprocess.run(hint, shell=True, capture_output=True, text=True, check=False, env=fresh)
    assert shell.returncode == 0, shell.stderr
    assert "Your AI tool usage — last 90 days" in shell.stdout


def test_the_demo_hint_with_the_default_database(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["demo", "--people", "10", "--days", "56"]) == 0
    out = capsys.readouterr().out
    hint = out.rsplit("Try this from this folder:\n", 1)[1].strip()
    assert "DATABASE_URL" not in hint and (tmp_path / "uptake.db").is_file()
    shell = subprocess.run(hint, shell=True, capture_output=True, text=True, check=False)
    assert shell.returncode == 0, shell.stderr
    assert "Your AI tool usage — last 90 days" in shell.stdout
    assert (tmp_path / "digest-preview.txt").is_file()


def test_myusage_hint_from_the_repository_root_uses_the_virtualenv(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    root = Path(sys.executable).parent.parent.parent
    monkeypatch.chdir(root)
    settings = make_settings(database_url=f"sqlite:///{root / 'uptake.db'}")
    assert myusage_hint(settings, "UDEMO0001") == (
        f"{Path(sys.executable).parent.relative_to(root)}/uptake myusage --user UDEMO0001 "
        "--window 90d"
    )


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    assert exit_.value.code == 0
    assert capsys.readouterr().out == f"uptake {version('uptake')}\n"


def _every_parser(
    parser: argparse.ArgumentParser, name: str = "uptake"
) -> Iterator[tuple[str, argparse.ArgumentParser]]:
    yield name, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub_name, subparser in action.choices.items():
                yield from _every_parser(subparser, f"{name} {sub_name}")


def test_every_command_help_has_a_description_options_and_an_example() -> None:
    walked = list(_every_parser(build_parser()))
    assert {"uptake demo", "uptake db upgrade", "uptake import usage"} <= {n for n, _ in walked}
    missing = []
    for name, parser in walked:
        text = parser.format_help()
        if not parser.description or "options:" not in text:
            missing.append(f"{name}: no description")
        if not any(line.strip() == "example:" for line in text.splitlines()):
            missing.append(f"{name}: no example")
        if name not in text.split("example:")[-1]:
            missing.append(f"{name}: the example does not run `{name}`")
    assert not missing, "\n".join(missing)


def _commands(parser: argparse.ArgumentParser) -> list[str]:
    return [
        name
        for action in parser._actions
        if isinstance(action, argparse._SubParsersAction)
        for name in action.choices
    ]


def test_each_command_is_parsed_by_its_own_module_alone() -> None:
    assert _commands(build_parser()) == [
        name for names in COMMAND_MODULES.values() for name in names
    ]
    for module, names in COMMAND_MODULES.items():
        assert _commands(build_parser([module])) == list(names)
        for name in names:
            assert _commands(parser_for([name, "--help"])) == list(names)
    assert _commands(parser_for(["--help"])) == _commands(build_parser())
    assert _commands(parser_for(["no-such-command"])) == _commands(build_parser())


def test_a_command_loads_neither_bolt_nor_openai_unless_it_runs_them() -> None:
    script = (
        "import sys\n"
        "from bot.cli import main\n"
        "try:\n"
        "    main(['db', 'upgrade', '--help'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "print('loaded:', *(m for m in ('slack_bolt', 'openai', 'bot.app') if m in sys.modules))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    ).stdout.splitlines()[-1]  # after the command's help
    assert loaded == "loaded:"


def test_jobs_lists_the_schedule_without_scheduler_noise(
    env: None, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["jobs"]) == 0
    captured = capsys.readouterr()
    assert "digests" in captured.out and "retention" in captured.out
    assert captured.err == ""


def test_clock_without_a_token_warns_that_messages_wait_in_the_outbox(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.INFO):
        assert clock_client(make_settings()) is None
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "SLACK_BOT_TOKEN is not set" in warnings[0].getMessage()
    assert "outbox" in warnings[0].getMessage()

    caplog.clear()
    with caplog.at_level(logging.INFO):
        assert clock_client(make_settings(slack_bot_token="xoxb-1-2-ab")) is not None
    assert not caplog.records


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
