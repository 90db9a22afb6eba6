"""`/teamusage` end to end: who may see which team, and only aggregates, never names."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy.engine import Engine

from bot.blocks.common import blocks_to_text
from storage import queries
from storage.engine import session as open_session
from storage.models import utcnow
from tests.blocks.limits import assert_within_slack_limits
from tests.conftest import make_settings
from tests.factories import add_usage, make_identity, make_person, usage_row
from tests.fakes.slack_api import FakeSlackAPI
from tests.handlers.conftest import SIGNING_SECRET, RunningApp, start_web_app

ADMIN = "U0ADMIN"
ABBREVIATIONS = {"payments": "PAY", "payments-edge": "EDGE", "risk": "RISK", "tiny": "TINY"}
MANAGER = "U0MANAGER"


def build_org(engine: Engine) -> dict[str, list[str]]:
    """payments (12) with sub-team payments-edge (6), risk (6), tiny (3); deterministic usage."""
    today = utcnow().date()
    layout = {"payments": 12, "payments-edge": 6, "risk": 6, "tiny": 3}
    # active days in the last 28 for each member, by position in the team
    pattern = [20, 20, 20, 20, 20, 8, 8, 8, 8, 8, 2, 2]
    people: dict[str, list[str]] = {}
    with open_session(engine) as session:
        ids = queries.upsert_teams(
            session,
            [
                {"slug": slug, "name": slug.title(), "parent_id": None, "source": "org_file"}
                for slug in layout
            ],
        )
        session.commit()
    with engine.begin() as connection:
        connection.exec_driver_sql(
            f"UPDATE team SET parent_id = {ids['payments']} WHERE id = {ids['payments-edge']}"
        )
    memberships = []
    for slug, size in layout.items():
        people[slug] = []
        for n in range(size):
            slack_id = f"U{ABBREVIATIONS[slug]}{n:02d}"
            person = make_person(
                engine,
                slack_user_id=slack_id,
                name=f"Secret Name {slug} {n}",
                email=f"{slack_id.lower()}@example.com",
            )
            people[slug].append(slack_id)
            memberships.append({"team_id": ids[slug], "person_id": person, "role": "member"})
            identity = make_identity(
                engine, tool="copilot", external_id=f"gh-{slack_id.lower()}", person_id=person
            )
            days = pattern[n % len(pattern)] if slug != "risk" else 10
            add_usage(
                engine,
                [
                    usage_row(
                        identity,
                        "copilot",
                        today - dt.timedelta(days=d),
                        generations=10,
                        acceptances=3 + n % 3,
                    )
                    for d in range(days)
                ],
            )
    manager = make_person(engine, slack_user_id=MANAGER)
    memberships.append({"team_id": ids["payments"], "person_id": manager, "role": "manager"})
    make_person(engine, slack_user_id=ADMIN)
    with open_session(engine) as session:
        queries.add_memberships(session, memberships)
        session.commit()
    return people


@pytest.fixture
def app(fake_slack: FakeSlackAPI, engine: Engine, database_url: str) -> Iterator[RunningApp]:
    settings = make_settings(
        database_url=database_url,
        slack_bot_token="xoxb-test-token",
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=fake_slack.url,
        admin_user_ids=[ADMIN],
    )
    server = start_web_app(settings, engine)
    with httpx.Client(timeout=10) as http:
        yield RunningApp(server.base_url, fake_slack, engine, settings, http)
    server.stop()


def ask(app: RunningApp, text: str, user_id: str) -> str:
    body = app.fake.wait_for(app.command(text, user_id=user_id, command="/teamusage")).body
    assert body["response_type"] == "ephemeral"
    assert_within_slack_limits(body["blocks"])
    return blocks_to_text(body["blocks"])


def test_a_manager_sees_their_team_with_sub_teams_and_no_names(app: RunningApp) -> None:
    people = build_org(app.engine)
    text = ask(app, "payments", MANAGER)

    assert "Payments — last 28 days" in text
    assert "People in scope:* 18" in text
    # all 18 were active in the window; nobody is inactive
    assert "*Active:* 18 of 18 people (100%)" in text
    assert "power 10 (56%)" in text  # 5 + 5 of the sub-team pattern
    assert "light —" in text  # 4 light people: fewer than 5, hidden
    assert "Hidden for privacy" in text and "light tier" in text
    for slack_id in people["payments"] + people["payments-edge"]:
        assert slack_id not in text
    assert "Secret Name" not in text and "@example.com" not in text


def test_members_see_only_their_own_teams(app: RunningApp) -> None:
    people = build_org(app.engine)
    risk_member = people["risk"][0]
    assert "Risk — last 28 days" in ask(app, "risk", risk_member)
    refused = ask(app, "payments", risk_member)
    assert "I can't show you `payments`" in refused
    assert "18" not in refused
    # a member of the sub-team cannot see the parent team either
    assert "I can't show you" in ask(app, "payments", people["payments-edge"][0])


def test_a_manager_cannot_see_a_team_they_do_not_manage(app: RunningApp) -> None:
    build_org(app.engine)
    assert "I can't show you `risk`" in ask(app, "risk", MANAGER)
    assert "Payments-Edge — last 28 days" in ask(app, "payments-edge", MANAGER)


def test_admins_see_any_team_and_small_teams_show_nothing(app: RunningApp) -> None:
    build_org(app.engine)
    tiny = ask(app, "tiny", ADMIN)
    assert "fewer than 5 people" in tiny
    assert "Active" not in tiny
    assert "People in scope:* 6" in ask(app, "risk", ADMIN)


def test_unknown_teams_look_the_same_as_forbidden_ones(app: RunningApp) -> None:
    build_org(app.engine)
    assert "I can't show you `nonexistent`" in ask(app, "nonexistent", MANAGER)


def test_listing_and_help(app: RunningApp) -> None:
    build_org(app.engine)
    listing = ask(app, "", MANAGER)
    assert "Teams you manage" in listing and "`payments`" in listing
    assert "`payments-edge`" in listing and "`risk`" not in listing
    assert "at least 5 people" in ask(app, "help", MANAGER)
    confused = ask(app, "payments 30d please", MANAGER)
    assert "didn't understand" in confused


def test_window_argument(app: RunningApp) -> None:
    build_org(app.engine)
    assert "last 7 days" in ask(app, "risk 7d", ADMIN)


def test_managers_preview_and_manage_their_digest(app: RunningApp) -> None:
    build_org(app.engine)
    preview = ask(app, "digest payments", MANAGER)
    assert "Preview" in preview and "Payments: AI tools, week to" in preview
    assert "Secret Name" not in preview
    assert "won't get the weekly digest for Payments" in ask(app, "unsubscribe payments", MANAGER)
    assert "You'll get the weekly digest for Payments" in ask(app, "subscribe payments", MANAGER)
    # members cannot preview a team they do not manage or belong to
    risk_member = "URISK00"
    assert "I can't show you" in ask(app, "digest payments", risk_member)


def test_subscribers_choose_day_hour_and_quiet_weeks(app: RunningApp) -> None:
    build_org(app.engine)
    text = ask(app, "subscribe payments tue 08 quiet-none", MANAGER)
    assert "on Tuesdays at 08:00 your time; in a quiet week, no digest" in text
    with open_session(app.engine) as session:
        [row] = queries.digest_subscriptions(session)
    assert (row.weekday, row.hour, row.quiet, row.active) == (1, 8, "none", True)
    assert "didn't understand" in ask(app, "subscribe payments someday", MANAGER)
