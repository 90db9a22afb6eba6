"""`/teamusage`: a team's AI tool usage in aggregate, for its members and managers."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot.services import Services
from bot.teamusage import answer_teamusage, parse_teamusage

TEAMUSAGE_COMMAND = "/teamusage"


def register(app: App, services: Services) -> None:
    """Register `/teamusage`."""

    @app.command(TEAMUSAGE_COMMAND)
    def teamusage(ack: Ack, command: dict[str, Any], respond: Respond, client: WebClient) -> None:
        """Team AI tool usage in aggregate: `/teamusage [TEAM] [7d|28d|90d]` or `help`."""
        ack()
        blocks, text = answer_teamusage(
            services,
            client,
            command["user_id"],
            command.get("team_id"),
            parse_teamusage(command.get("text", "")),
        )
        respond(blocks=blocks, text=text, response_type="ephemeral", replace_original=False)
