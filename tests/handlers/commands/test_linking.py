"""Linking accounts: `/myusage link|links|unlink`, admin review buttons, `/uptake-admin`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import select

from bot.blocks.common import blocks_to_text
from bot.blocks.ids import APPROVE_CLAIM, DENY_CLAIM
from bot.settings import Settings
from storage import queries
from storage.engine import session as open_session
from storage.models import AuditEntry, Identity, utcnow
from tests.blocks.limits import assert_within_slack_limits
from tests.conftest import make_settings
from tests.factories import add_usage, make_identity, make_person, usage_row
from tests.fakes.slack_api import FakeSlackAPI
from tests.handlers.conftest import SIGNING_SECRET, RunningApp, start_web_app

ADMIN = "U0ADMIN"


@pytest.fixture
def app_with_admin(
    fake_slack: FakeSlackAPI, engine: Engine, database_url: str
) -> Iterator[RunningApp]:
    settings: Settings = make_settings(
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


def answer(app: RunningApp, text: str, user_id: str, command: str = "/myusage") -> str:
    body = app.fake.wait_for(app.command(text, user_id=user_id, command=command)).body
    assert body["response_type"] == "ephemeral"
    assert_within_slack_limits(body["blocks"])
    return blocks_to_text(body["blocks"])


def copilot_usage_for(engine: Engine, login: str) -> None:
    identity = make_identity(engine, tool="copilot", external_id=login)
    add_usage(
        engine, [usage_row(identity, "copilot", utcnow().date(), generations=40, acceptances=10)]
    )


def review_button_value(review: dict) -> str:  # type: ignore[type-arg]
    actions = next(b for b in review["blocks"] if b["type"] == "actions")
    return str(actions["elements"][0]["value"])


def audit_actions(engine: Engine) -> list[str]:
    with engine.connect() as connection:
        return list(
            connection.execute(sa.select(AuditEntry.action).order_by(AuditEntry.id)).scalars()
        )


def test_a_pending_claim_shows_nothing_and_asks_the_admins(app_with_admin: RunningApp) -> None:
    app = app_with_admin
    copilot_usage_for(app.engine, "octo-cat")

    text = answer(app, "link github Octo-Cat", "U0ALICE")
    assert "waiting for an Uptake admin" in text

    review = app.fake.wait_for("chat.postMessage").body
    assert review["channel"] == ADMIN
    assert "<@U0ALICE> claims GitHub login `octo-cat`" in blocks_to_text(review["blocks"])
    actions = next(b for b in review["blocks"] if b["type"] == "actions")["elements"]
    assert {a["action_id"] for a in actions} == {APPROVE_CLAIM, DENY_CLAIM}

    summary = answer(app, "", "U0ALICE")
    assert "haven't linked any AI tool accounts" in summary
    assert "1 account link(s) waiting" in summary
    assert "waiting for an admin to verify" in answer(app, "links", "U0ALICE")


def test_an_approved_claim_shows_the_usage(app_with_admin: RunningApp) -> None:
    app = app_with_admin
    copilot_usage_for(app.engine, "octo-cat")
    answer(app, "link github octo-cat", "U0ALICE")
    review = app.fake.wait_for("chat.postMessage").body
    identity_id = review_button_value(review)

    decided = app.fake.wait_for(app.click(APPROVE_CLAIM, identity_id, user_id=ADMIN)).body
    assert decided["replace_original"] is True
    assert "claim approved by <@U0ADMIN>" in blocks_to_text(decided["blocks"])
    told = app.fake.wait_for(
        lambda r: r.api_method == "chat.postMessage" and r.body.get("channel") == "U0ALICE"
    ).body
    assert "verified your claim" in told["text"]

    summary = answer(app, "", "U0ALICE")
    assert "GitHub Copilot" in summary and "25% (10 of 40)" in summary
    assert audit_actions(app.engine) == ["identity.claimed", "identity.claim_approved"]


def test_only_admins_can_approve(app_with_admin: RunningApp) -> None:
    app = app_with_admin
    answer(app, "link github octo-cat", "U0ALICE")
    review = app.fake.wait_for("chat.postMessage").body
    identity_id = review_button_value(review)
    refused = app.fake.wait_for(app.click(APPROVE_CLAIM, identity_id, user_id="U0ALICE")).body
    assert "Only Uptake admins" in blocks_to_text(refused["blocks"])
    with app.engine.connect() as connection:
        verified = connection.execute(
            sa.select(Identity.verified).where(Identity.id == int(identity_id))
        ).scalar_one()
    assert verified is False


def test_a_denied_claim_is_released(app_with_admin: RunningApp) -> None:
    app = app_with_admin
    answer(app, "link github octo-cat", "U0ALICE")
    review = app.fake.wait_for("chat.postMessage").body
    identity_id = review_button_value(review)
    app.fake.wait_for(app.click(DENY_CLAIM, identity_id, user_id=ADMIN))
    with app.engine.connect() as connection:
        owner = connection.execute(
            sa.select(Identity.person_id).where(Identity.id == int(identity_id))
        ).scalar_one()
    assert owner is None
    # the second click finds nothing to decide
    again = app.fake.wait_for(app.click(APPROVE_CLAIM, identity_id, user_id=ADMIN)).body
    assert "already decided" in blocks_to_text(again["blocks"])


def test_a_login_claimed_twice_is_refused_and_flagged(app_with_admin: RunningApp) -> None:
    app = app_with_admin
    alice = make_person(app.engine, slack_user_id="U0ALICE")
    make_identity(app.engine, tool="copilot", external_id="octo-cat", person_id=alice)

    text = answer(app, "link github octo-cat", "U0MALLORY")
    assert "already linked to, or claimed by, someone else" in text
    flag = app.fake.wait_for("chat.postMessage").body
    assert flag["channel"] == ADMIN
    assert "tried to claim GitHub login `octo-cat`" in blocks_to_text(flag["blocks"])
    assert "haven't linked" in answer(app, "", "U0MALLORY")
    assert "identity.claim_conflict" in audit_actions(app.engine)


def test_invalid_logins_are_explained(app_with_admin: RunningApp) -> None:
    assert "is not a GitHub login" in answer(app_with_admin, "link github -bad--login-", "U0ALICE")


def test_unlink_removes_and_is_never_relinked_by_email(app_with_admin: RunningApp) -> None:
    app = app_with_admin
    app.fake.add_user("U0ALICE", email="alice@example.com")
    cursor = make_identity(app.engine, tool="cursor", external_id="alice@example.com")
    add_usage(app.engine, [usage_row(cursor, "cursor", utcnow().date() - dt.timedelta(days=1))])
    assert "Cursor" in answer(app, "", "U0ALICE")

    assert "Unlinked your Cursor account" in answer(app, "unlink cursor", "U0ALICE")
    assert "haven't linked" in answer(app, "", "U0ALICE")
    with open_session(app.engine) as session:
        assert queries.link_identities_to_known_people(session, [cursor]) == 0
        assert queries.link_unlinked_identities_by_email(session, 1, "alice@example.com") == 0
    assert "no Cursor account linked" in answer(app, "unlink cursor", "U0ALICE")


def test_admin_command_is_for_admins_only(app_with_admin: RunningApp) -> None:
    assert "Only Uptake admins" in answer(app_with_admin, "claims", "U0ALICE", "/uptake-admin")
    assert "map github LOGIN @person" in answer(app_with_admin, "", ADMIN, "/uptake-admin")


def test_admin_maps_a_login_to_a_person(app_with_admin: RunningApp) -> None:
    app = app_with_admin
    copilot_usage_for(app.engine, "octo-cat")
    text = answer(app, "map github Octo-Cat <@U0ALICE|alice>", ADMIN, "/uptake-admin")
    assert "Linked GitHub Copilot account `octo-cat` to <@U0ALICE>" in text
    assert "GitHub Copilot" in answer(app, "", "U0ALICE")
    assert audit_actions(app.engine) == ["admin.map", "identity.mapped"]


def test_admin_lists_claims_with_buttons(app_with_admin: RunningApp) -> None:
    app = app_with_admin
    answer(app, "link github octo-cat", "U0ALICE")
    answer(app, "link github hubot", "U0BOB")
    text = answer(app, "claims", ADMIN, "/uptake-admin")
    assert "Claims waiting for review (2)" in text
    assert "`octo-cat`" in text and "`hubot`" in text


def test_admin_sources_shows_which_are_off(app_with_admin: RunningApp) -> None:
    text = answer(app_with_admin, "sources", ADMIN, "/uptake-admin")
    assert "GitHub Copilot*: off (set GITHUB_TOKEN" in text


def test_withdrawing_a_claim_on_someone_elses_login_does_not_refuse_it_for_them(
    app_with_admin: RunningApp,
) -> None:
    app = app_with_admin
    copilot_usage_for(app.engine, "octo-cat")
    answer(app, "link github octo-cat", "U0MALLORY")  # not Mallory's: a claim awaiting review

    assert "Unlinked" in answer(app, "unlink github", "U0MALLORY")

    with open_session(app.engine) as session:
        identity = session.exec(select(Identity).where(Identity.external_id == "octo-cat")).one()
    assert identity.person_id is None and identity.link_method is None  # not "refused"
    text = answer(app, "map github octo-cat <@U0ALICE|alice>", ADMIN, "/uptake-admin")
    assert "Linked GitHub Copilot account `octo-cat` to <@U0ALICE>" in text
