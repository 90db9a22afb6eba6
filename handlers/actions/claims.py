"""Approve or deny a GitHub login claim (admins only)."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot.blocks.ids import APPROVE_CLAIM, DENY_CLAIM
from bot.claims import review_claim
from bot.services import Services


def register(app: App, services: Services) -> None:
    """Register the claim review buttons."""

    @app.action(APPROVE_CLAIM)
    @app.action(DENY_CLAIM)
    def decide(
        ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond, client: WebClient
    ) -> None:
        """Record an admin's verdict on a claim and tell the claimer."""
        ack()
        blocks, text, replace = review_claim(
            services,
            client,
            admin_user_id=body["user"]["id"],
            identity_value=str(action.get("value", "")),
            approve=action["action_id"] == APPROVE_CLAIM,
        )
        respond(blocks=blocks, text=text, replace_original=replace, response_type="ephemeral")
