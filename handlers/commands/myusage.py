"""`/myusage`: a person's own AI tool usage, answered ephemerally."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot.myusage import answer_myusage, parse_myusage
from bot.services import Services

MYUSAGE_COMMAND = "/myusage"


def register(app: App, services: Services) -> None:
    """Register `/myusage`."""

    @app.command(MYUSAGE_COMMAND)
    def myusage(ack: Ack, command: dict[str, Any], respond: Respond, client: WebClient) -> None:
        """Your own AI coding tool usage: `/myusage [7d|28d|90d|links|help]`. Only you see it."""
        # Ack before touching the database so Slack's 3-second limit holds when it is slow.
        ack()
        request = parse_myusage(command.get("text", ""))
        blocks, text = answer_myusage(
            services, client, command["user_id"], command.get("team_id"), request
        )
        respond(blocks=blocks, text=text, response_type="ephemeral", replace_original=False)
