"""The `/uptake-admin teams` menus: allow a waiting Slack user group or GitHub team, or stop."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot.admin import AdminRequest, answer_admin
from bot.blocks.ids import ADMIN_TEAM_ALLOW, ADMIN_TEAM_DENY
from bot.services import Services


def register(app: App, services: Services) -> None:
    """Register the team allow and deny menus."""

    @app.action(ADMIN_TEAM_ALLOW)
    @app.action(ADMIN_TEAM_DENY)
    def decide_team(
        ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond, client: WebClient
    ) -> None:
        """Allow or deny the chosen team, as `/uptake-admin teams allow|deny TEAM` does
        (admins only, audited)."""
        ack()
        team = str((action.get("selected_option") or {}).get("value", ""))[:100]
        request = AdminRequest("allow_team", team=team, add=action["action_id"] == ADMIN_TEAM_ALLOW)
        blocks, text = answer_admin(services, client, body["user"]["id"], request)
        respond(blocks=blocks, text=text, response_type="ephemeral", replace_original=False)
