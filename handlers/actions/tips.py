"""Buttons on tip messages, the keep-sending question and the "Get tips" button."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot.blocks.ids import GET_TIPS, TIP_HELPFUL, TIP_NOT_FOR_ME, TIP_SNOOZE, TIP_STOP, TIPS_KEEP
from bot.blocks.tips import feedback_done_blocks
from bot.services import Services
from bot.tips.actions import home_tip_change, keep_tips, tip_feedback


def register(app: App, services: Services) -> None:
    """Register the tip buttons."""

    @app.action(TIP_HELPFUL)
    @app.action(TIP_NOT_FOR_ME)
    @app.action(TIP_SNOOZE)
    @app.action(TIP_STOP)
    def feedback(
        ack: Ack,
        body: dict[str, Any],
        action: dict[str, Any],
        respond: Respond,
        client: WebClient,
    ) -> None:
        """Record the clicker's reaction to their own tip."""
        ack()
        blocks = tip_feedback(
            services,
            client,
            body["user"]["id"],
            action["action_id"],
            str(action.get("value", "")),
            original=(body.get("message") or {}).get("blocks") or [],
        )
        respond(blocks=blocks, text="Thanks", replace_original=True)

    @app.action(TIPS_KEEP)
    def keep(ack: Ack, body: dict[str, Any], respond: Respond, client: WebClient) -> None:
        """Keep tips coming."""
        ack()
        blocks = keep_tips(
            services, client, body["user"]["id"], (body.get("message") or {}).get("blocks") or []
        )
        respond(blocks=blocks, text="Tips will keep coming", replace_original=True)

    @app.action(GET_TIPS)
    def get_tips(ack: Ack, body: dict[str, Any], respond: Respond, client: WebClient) -> None:
        """Switch tips on for the clicker (offered under their own /myusage)."""
        ack()
        home_tip_change(services, client, body["user"]["id"], GET_TIPS, "on")
        respond(
            blocks=feedback_done_blocks(
                "Tips are on: at most one a week, Tuesday to Thursday mid-morning your time. "
                "`/aitips` changes that."
            ),
            text="Tips are on",
            replace_original=False,
            response_type="ephemeral",
        )
