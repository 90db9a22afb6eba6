"""The Home tab's "Your data" buttons: what is stored, export, and forget (with its form)."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.blocks.home_modals import forget_modal, result_modal
from bot.blocks.ids import FORGET_MODAL, HOME_EXPORT, HOME_FORGET, HOME_PRIVACY
from bot.blocks.privacy import forgotten_blocks
from bot.home import publish_home
from bot.home_actions import my_data_answer
from bot.myusage import forget_me
from bot.services import Services
from handlers.home.common import clicker, open_then_fill


def register(app: App, services: Services) -> None:
    """Register the privacy, export and forget buttons, and the forget form."""

    @app.action(HOME_PRIVACY)
    @app.action(HOME_EXPORT)
    def my_data(ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient) -> None:
        """Show what is stored about the clicker, or send it to their DM as a file."""
        ack()
        user_id, team_id = clicker(body)
        kind = "privacy" if action["action_id"] == HOME_PRIVACY else "export"
        open_then_fill(
            client,
            body,
            "Your data",
            lambda: my_data_answer(services, client, user_id, team_id, kind),
        )

    @app.action(HOME_FORGET)
    def ask_to_forget(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        """Ask, in a form, before deleting anything."""
        ack()
        client.views_open(trigger_id=body["trigger_id"], view=forget_modal())

    @app.view(FORGET_MODAL)
    def forget(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        """Delete the submitter's own data (only ever theirs), then refresh their Home tab."""
        user_id, team_id = clicker(body)
        rows = forget_me(services, user_id)
        ack(response_action="update", view=result_modal("Your data", forgotten_blocks(rows)))
        publish_home(services, client, user_id, team_id, register=False)
