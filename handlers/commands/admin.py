"""`/uptake-admin`: operating Uptake (admins only)."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot.admin import answer_admin, parse_admin
from bot.services import Services

ADMIN_COMMAND = "/uptake-admin"


def register(app: App, services: Services) -> None:
    """Register `/uptake-admin`."""

    @app.command(ADMIN_COMMAND)
    def uptake_admin(
        ack: Ack, command: dict[str, Any], respond: Respond, client: WebClient
    ) -> None:
        """Operate Uptake: `/uptake-admin [sources|claims|map TOOL ID @person|help]`."""
        ack()
        blocks, text = answer_admin(
            services, client, command["user_id"], parse_admin(command.get("text", ""))
        )
        respond(blocks=blocks, text=text, response_type="ephemeral", replace_original=False)
