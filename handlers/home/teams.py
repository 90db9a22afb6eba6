"""A manager's teams on the Home tab: preview the digest, its day and hour, subscribe or stop."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.blocks.common import Block
from bot.blocks.ids import (
    DIGEST_MODAL,
    HOME_DIGEST_PREVIEW,
    HOME_DIGEST_SCHEDULE,
    HOME_DIGEST_SUBSCRIBE,
    HOME_DIGEST_UNSUBSCRIBE,
)
from bot.home import publish_home
from bot.home_actions import (
    change_subscription,
    digest_preview,
    read_schedule,
    save_schedule,
    schedule_form,
)
from bot.services import Services
from handlers.home.common import clicker, open_then_fill, republish

TeamModal = Callable[
    [Services, WebClient, str, str | None, str], tuple[str, list[Block]] | dict[str, Any]
]
#: What each team button opens: the modal's title, and what fills it.
TEAM_MODALS: dict[str, tuple[str, TeamModal]] = {
    HOME_DIGEST_PREVIEW: ("Digest preview", digest_preview),
    HOME_DIGEST_SCHEDULE: ("Weekly digest", schedule_form),
}


def register(app: App, services: Services) -> None:
    """Register the team buttons and the digest form."""

    @app.action(HOME_DIGEST_PREVIEW)
    @app.action(HOME_DIGEST_SCHEDULE)
    def team_modal(
        ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient
    ) -> None:
        """This week's digest for the team, or its day-and-hour form, if the clicker may."""
        ack()
        user_id, team_id = clicker(body)
        slug = str(action.get("value", ""))
        title, answer = TEAM_MODALS[action["action_id"]]
        open_then_fill(
            client, body, title, lambda: answer(services, client, user_id, team_id, slug)
        )

    @app.action(HOME_DIGEST_SUBSCRIBE)
    @app.action(HOME_DIGEST_UNSUBSCRIBE)
    def subscription(
        ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient
    ) -> None:
        """Get or stop the team's weekly digest, then refresh the Home tab."""
        ack()
        user_id, team_id = clicker(body)
        subscribe = action["action_id"] == HOME_DIGEST_SUBSCRIBE
        slug = str(action.get("value", ""))
        change_subscription(services, client, user_id, team_id, slug, subscribe=subscribe)
        republish(services, client, body)

    @app.view(DIGEST_MODAL)
    def schedule_saved(
        ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient
    ) -> None:
        """Save the digest's day, hour and quiet weeks, then refresh the Home tab."""
        request = read_schedule(view)
        ack()
        if request is None:
            return
        user_id, team_id = clicker(body)
        save_schedule(services, client, user_id, team_id, request)
        publish_home(services, client, user_id, team_id)
