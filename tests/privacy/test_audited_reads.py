"""Every read of one person's data, by any entry point, is in that person's audit log; an
admin's look at a team through admin powers is audited as an admin look."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from bot.blocks.common import blocks_to_text
from bot.blocks.privacy import privacy_blocks
from bot.cli import main
from bot.personal.privacy import privacy_summary
from storage import queries
from storage.engine import session as open_session
from storage.models import utcnow
from tests.factories import add_usage, make_identity, make_person, usage_row
from tests.handlers.conftest import RunningApp
from tests.privacy.conftest import ADMIN, ask, audit_log


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, database_url: str) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", database_url)
    for name in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN"):
        monkeypatch.delenv(name, raising=False)


def someone_with_usage(engine: Engine) -> int:
    person = make_person(engine, slack_user_id="U0READ", email="read.me@example.com")
    identity = make_identity(
        engine, tool="cursor", external_id="read.me@example.com", person_id=person
    )
    add_usage(engine, [usage_row(identity, "cursor", utcnow().date() - dt.timedelta(days=2))])
    return person


@pytest.mark.parametrize("who", [["--user", "U0READ"], ["--email", "read.me@example.com"]])
def test_a_command_line_read_is_in_the_persons_audit_log(
    cli_env: None, engine: Engine, who: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    person = someone_with_usage(engine)

    assert main(["myusage", *who, "--window", "7d"]) == 0
    assert "Your AI tool usage" in capsys.readouterr().out

    [(action, actor, subject, detail)] = audit_log(engine)
    assert (action, actor, subject) == ("admin.viewed_person", "cli", person)
    assert detail == {"what": "/myusage summary, 7 days", "via": "command line"}
    summary = privacy_summary(engine, person, min_group_size=5, retention_days=400)
    shown = blocks_to_text(privacy_blocks(summary))
    assert "an admin looked at your data (command line)" in shown
    assert "<@cli>" not in shown


def test_a_command_line_read_of_nobody_audits_nothing(cli_env: None, engine: Engine) -> None:
    assert main(["myusage", "--user", "U0NOBODY"]) == 1
    assert audit_log(engine) == []


def team_of(app: RunningApp, slug: str, members: list[str]) -> None:
    with open_session(app.engine) as session:
        team_id = queries.upsert_teams(
            session, [{"slug": slug, "name": slug.title(), "parent_id": None, "source": "org_file"}]
        )[slug]
        ids = queries.upsert_people(session, [{"slack_user_id": m} for m in members])
        queries.add_memberships(
            session, [{"team_id": team_id, "person_id": ids[m], "role": "member"} for m in members]
        )
        session.commit()


def test_an_admins_look_at_a_team_is_audited_as_an_admin_look(app: RunningApp) -> None:
    team_of(app, "payments", [f"U0PAY{n}" for n in range(6)])

    assert "Payments" in ask(app, "payments week", ADMIN, "/teamusage")
    assert "Payments" in ask(app, "digest payments", ADMIN, "/teamusage")

    looks = [entry for entry in audit_log(app.engine) if entry[0] == "admin.viewed_team"]
    assert looks == [
        ("admin.viewed_team", ADMIN, None, {"team": "payments", "what": "team"}),
        ("admin.viewed_team", ADMIN, None, {"team": "payments", "what": "digest"}),
    ]


def test_a_members_look_at_their_own_team_is_not_an_admin_look(app: RunningApp) -> None:
    team_of(app, "payments", [f"U0PAY{n}" for n in range(5)] + [ADMIN])

    assert "Payments" in ask(app, "payments", ADMIN, "/teamusage")
    assert "Payments" in ask(app, "payments", "U0PAY1", "/teamusage")

    assert [entry for entry in audit_log(app.engine) if entry[0] == "admin.viewed_team"] == []
