"""The details menu beside the tools in `/myusage` (and on the Home tab)."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot.blocks.ids import MYUSAGE_TOOL_DETAILS
from bot.blocks.tool_detail import tool_detail_modal
from bot.myusage import tool_details
from bot.services import Services


def register(app: App, services: Services) -> None:
    """Register the details menu."""

    @app.action(MYUSAGE_TOOL_DETAILS)
    def details(
        ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond, client: WebClient
    ) -> None:
        """One tool's full figures for the clicker: a private reply, or a modal on Home."""
        ack()
        chosen = action.get("selected_option") or {}
        value = str(chosen.get("value") or action.get("value") or "")
        team_id = (body.get("team") or {}).get("id")
        blocks, text = tool_details(services, client, body["user"]["id"], team_id, value)
        if body.get("response_url"):
            respond(blocks=blocks, text=text, response_type="ephemeral", replace_original=False)
        elif body.get("trigger_id"):
            client.views_open(trigger_id=body["trigger_id"], view=tool_detail_modal(blocks))
