"""`/uptake-admin teams` menus: allowing or denying a synced group by choosing it, not typing it."""

from __future__ import annotations

import json
import uuid
from typing import Any
from urllib.parse import urlencode

import pytest

from bot.blocks.common import blocks_to_text
from bot.blocks.ids import ADMIN_TEAM_ALLOW, ADMIN_TEAM_DENY
from tests.blocks.limits import assert_within_slack_limits
from tests.handlers.commands.test_admin_team_approval import (
    GROUP_SLUG,
    GUILD,
    decisions,
    directory_job,
    slack_has_user_group,
)
from tests.handlers.commands.test_linking import ADMIN, app_with_admin
from tests.handlers.conftest import PAYLOADS, RunningApp

#: Layout, access and the services' wiring: one database is enough (the queries behind them are
#: tested on both elsewhere), which keeps the suite inside its time budget.
pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


__all__ = ["app_with_admin"]  # the fixture, imported for pytest


def teams_listing(app: RunningApp) -> list[dict[str, Any]]:
    body = app.fake.wait_for(app.command("teams", user_id=ADMIN, command="/uptake-admin")).body
    assert_within_slack_limits(body["blocks"])
    return list(body["blocks"])


def menu(blocks: list[dict[str, Any]], action_id: str) -> dict[str, Any] | None:
    return next(
        (
            element
            for block in blocks
            if block["type"] == "actions"
            for element in block["elements"]
            if element["action_id"] == action_id
        ),
        None,
    )


def choose(app: RunningApp, action_id: str, value: str, user_id: str) -> str:
    """Choose an option in a menu of the listing (a signed block_actions payload); the answer."""
    name = uuid.uuid4().hex
    payload = json.loads((PAYLOADS / "block_actions.bolt-python-test.json").read_text())
    payload["user"] = {"id": user_id, "username": "someone", "name": "someone", "team_id": "T0TEST"}
    payload["team"] = {"id": "T0TEST", "domain": "uptake-test"}
    payload["response_url"] = app.fake.response_url(name)
    payload["actions"] = [
        {
            "action_id": action_id,
            "block_id": "admin-teams",
            "type": "static_select",
            "selected_option": {"text": {"type": "plain_text", "text": value}, "value": value},
            "action_ts": "1700000000.1",
        }
    ]
    response = app.post_signed(urlencode({"payload": json.dumps(payload)}).encode())
    assert response.status_code == 200, response.text
    body = app.fake.wait_for(f"/response/{name}").body
    assert body["response_type"] == "ephemeral" and body["replace_original"] is False
    return blocks_to_text(body["blocks"])


def test_an_admin_allows_then_stops_a_group_from_the_menus(app_with_admin: RunningApp) -> None:
    app = app_with_admin
    slack_has_user_group(app.fake, "platform-guild", "Platform guild", GUILD)
    directory_job(app)

    allow = menu(teams_listing(app), ADMIN_TEAM_ALLOW)
    assert allow is not None and allow["confirm"]  # asks before allowing
    assert [option["value"] for option in allow["options"]] == [GROUP_SLUG]
    assert "is now a team" in choose(app, ADMIN_TEAM_ALLOW, GROUP_SLUG, ADMIN)

    listing = teams_listing(app)
    assert menu(listing, ADMIN_TEAM_ALLOW) is None
    deny = menu(listing, ADMIN_TEAM_DENY)
    assert deny is not None and [option["value"] for option in deny["options"]] == [GROUP_SLUG]
    assert "is no longer a team" in choose(app, ADMIN_TEAM_DENY, GROUP_SLUG, ADMIN)
    assert [(action, actor) for action, actor, _detail in decisions(app)] == [
        ("team.allowed", ADMIN),
        ("team.denied", ADMIN),
    ]


def test_a_menu_choice_by_someone_else_changes_nothing(app_with_admin: RunningApp) -> None:
    app = app_with_admin
    slack_has_user_group(app.fake, "platform-guild", "Platform guild", GUILD)
    directory_job(app)
    answer = choose(app, ADMIN_TEAM_ALLOW, GROUP_SLUG, GUILD[0])
    assert "Only Uptake admins" in answer
    assert decisions(app) == []
