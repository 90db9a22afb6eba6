"""Linking an account from the Home tab: the button, and the form's submission."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.blocks.home_modals import link_modal
from bot.blocks.ids import HOME_LINK, LINK_MODAL
from bot.home import publish_home
from bot.home_actions import after_link, submit_link
from bot.services import Services
from handlers.home.common import clicker


def register(app: App, services: Services) -> None:
    """Register the link button and the link form."""

    @app.action(HOME_LINK)
    def open_link_form(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        """Open the link form (no database work, so it opens inside the trigger's 3 seconds)."""
        ack()
        client.views_open(trigger_id=body["trigger_id"], view=link_modal())

    @app.view(LINK_MODAL)
    def link_submitted(
        ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient
    ) -> None:
        """Claim the account for the person who submitted, then tell the admins and refresh Home."""
        user_id, team_id = clicker(body)
        submission = submit_link(services, client, user_id, team_id, view)
        ack(**submission.ack)
        after_link(services, client, user_id, submission)
        if submission.person_id is not None:
            publish_home(services, client, user_id, team_id)
