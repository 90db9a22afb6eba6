"""`/aitips`: your own tip preferences."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot.aitips import answer_aitips, parse_aitips
from bot.services import Services

AITIPS_COMMAND = "/aitips"


def register(app: App, services: Services) -> None:
    """Register `/aitips`."""

    @app.command(AITIPS_COMMAND)
    def aitips(ack: Ack, command: dict[str, Any], respond: Respond, client: WebClient) -> None:
        """Tips for your own AI tool use: `/aitips [on|off|status|snooze|frequency|now|help]`."""
        ack()
        blocks, text = answer_aitips(
            services,
            client,
            command["user_id"],
            command.get("team_id"),
            parse_aitips(command.get("text", "")),
        )
        respond(blocks=blocks, text=text, response_type="ephemeral", replace_original=False)
