"""The Home tab's link form over HTTP: signed `view_submission` payloads through the claim flow
`/myusage link github LOGIN` uses (its checks, its audit, the admins' review)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from bot.blocks.common import blocks_to_text
from bot.blocks.ids import (
    HOME_LINK,
    LINK_ACCOUNT,
    LINK_ACCOUNT_BLOCK,
    LINK_MODAL,
    LINK_TOOL,
    LINK_TOOL_BLOCK,
)
from storage.models import AuditEntry, Identity
from tests.factories import make_identity, make_person
from tests.fakes.slack_api import FakeSlackAPI
from tests.handlers.conftest import RunningApp
from tests.handlers.home.slack_home import (
    ADMIN,
    click,
    filled_modal,
    home_app,
    option,
    published,
    submit,
)

ALICE = "U0ALICE"


@pytest.fixture
def app(fake_slack: FakeSlackAPI, engine: Engine, database_url: str) -> Iterator[RunningApp]:
    fake_slack.add_user(ALICE, email="alice@example.com")
    yield from home_app(fake_slack, engine, database_url)


def form(tool: str, account: str) -> dict[str, dict[str, dict[str, Any]]]:
    return {
        LINK_TOOL_BLOCK: {LINK_TOOL: {"type": "static_select", "selected_option": option(tool)}},
        LINK_ACCOUNT_BLOCK: {LINK_ACCOUNT: {"type": "plain_text_input", "value": account}},
    }


def claims(engine: Engine) -> list[tuple[str, bool]]:
    with engine.connect() as connection:
        return [
            (row.external_id, row.verified)
            for row in connection.execute(
                sa.select(Identity.external_id, Identity.verified).where(
                    Identity.link_method == "claim"
                )
            )
        ]


def audit_actions(engine: Engine) -> list[str]:
    with engine.connect() as connection:
        return list(connection.execute(sa.select(AuditEntry.action)).scalars())


def admin_messages(app: RunningApp) -> list[str]:
    return [
        blocks_to_text(request.body["blocks"])
        for request in app.fake.calls("chat.postMessage")
        if request.body.get("channel") == ADMIN
    ]


def test_the_button_opens_the_form(app: RunningApp) -> None:
    since = click(app, HOME_LINK, "link", user_id=ALICE)
    modal = filled_modal(app, since)
    assert modal["callback_id"] == LINK_MODAL
    assert {b.get("block_id") for b in modal["blocks"]} >= {LINK_TOOL_BLOCK, LINK_ACCOUNT_BLOCK}


def test_a_valid_login_is_claimed_and_waits_for_an_admin(app: RunningApp) -> None:
    answer, since = submit(app, LINK_MODAL, form("copilot", "Octo-Cat"), user_id=ALICE)
    assert answer["response_action"] == "update"
    assert "waiting for an Uptake admin" in blocks_to_text(answer["view"]["blocks"])
    assert claims(app.engine) == [("octo-cat", False)]
    assert "identity.claimed" in audit_actions(app.engine)
    _view, text = published(app, ALICE, since)
    assert "`octo-cat` waiting for an admin to verify it" in text
    assert "Active days" not in text and "What landed" not in text  # nothing shows yet
    review = app.fake.wait_for("chat.postMessage").body
    assert review["channel"] == ADMIN
    assert "<@U0ALICE> claims GitHub login `octo-cat`" in blocks_to_text(review["blocks"])


def test_an_invalid_login_is_refused_on_the_form(app: RunningApp) -> None:
    answer, since = submit(app, LINK_MODAL, form("copilot", "not a login!"), user_id=ALICE)
    assert answer["response_action"] == "errors"
    assert "not a GitHub login" in answer["errors"][LINK_ACCOUNT_BLOCK]
    published(app, ALICE, since)  # everything after the answer is done
    assert claims(app.engine) == []
    assert admin_messages(app) == []


def test_a_login_someone_else_holds_is_refused_and_flagged(app: RunningApp) -> None:
    owner = make_person(app.engine, slack_user_id="U0OWNER")
    make_identity(app.engine, tool="copilot", external_id="octo-cat", person_id=owner)
    answer, _since = submit(app, LINK_MODAL, form("copilot", "octo-cat"), user_id=ALICE)
    assert answer["response_action"] == "errors"
    assert "someone else" in answer["errors"][LINK_ACCOUNT_BLOCK]
    assert claims(app.engine) == []
    assert "identity.claim_conflict" in audit_actions(app.engine)
    warning = app.fake.wait_for("chat.postMessage").body
    assert warning["channel"] == ADMIN
    assert "already linked to or claimed by someone else" in blocks_to_text(warning["blocks"])


def test_an_email_tool_is_not_claimed_from_the_form(app: RunningApp) -> None:
    answer, _since = submit(app, LINK_MODAL, form("cursor", "bob@example.com"), user_id=ALICE)
    assert answer["response_action"] == "errors"
    assert "links by itself" in answer["errors"][LINK_ACCOUNT_BLOCK]
    answer, _since = submit(app, LINK_MODAL, form("<!channel>", "octo-cat"), user_id=ALICE)
    assert answer["response_action"] == "errors" and LINK_TOOL_BLOCK in answer["errors"]
    assert claims(app.engine) == [] and admin_messages(app) == []
