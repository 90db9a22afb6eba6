"""The Home tab itself: published when it is opened, and after a window or tip change (the tip
buttons are under `/aitips` too)."""

from __future__ import annotations

import re
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot.aitips import AiTipsRequest, answer_aitips
from bot.blocks.ids import (
    HOME_TIPS_FREQUENCY,
    HOME_TIPS_OFF,
    HOME_TIPS_ON,
    HOME_TIPS_SNOOZE,
    HOME_WINDOW_PREFIX,
)
from bot.home import publish_home
from bot.services import Services
from bot.tips.actions import home_tip_change
from handlers.home.common import clicker, republish

WINDOW_ACTION = re.compile("^" + re.escape(HOME_WINDOW_PREFIX) + r"\d{1,2}$")


def register(app: App, services: Services) -> None:
    """Register the Home tab, its window buttons and its tip buttons."""

    @app.event("app_home_opened")
    def home_opened(event: dict[str, Any], client: WebClient, context: dict[str, Any]) -> None:
        """Publish the person's own dashboard to their Home tab."""
        if event.get("tab") != "home":
            return
        publish_home(services, client, event["user"], context.get("team_id"))

    @app.action(WINDOW_ACTION)
    def window(ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient) -> None:
        """Show the clicker's own figures over the window they chose (7, 28 or 90 days)."""
        ack()
        user_id, team_id = clicker(body)
        publish_home(services, client, user_id, team_id, window=str(action.get("value", "")))

    @app.action(HOME_TIPS_ON)
    @app.action(HOME_TIPS_OFF)
    @app.action(HOME_TIPS_SNOOZE)
    @app.action(HOME_TIPS_FREQUENCY)
    def tip_setting(
        ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond, client: WebClient
    ) -> None:
        """Change the clicker's own tip settings, then show them where the click came from:
        the Home tab again, or the `/aitips` answer replaced."""
        ack()
        user_id, team_id = clicker(body)
        value = (action.get("selected_option") or {}).get("value") or action.get("value", "")
        home_tip_change(services, client, user_id, action["action_id"], str(value))
        if (body.get("view") or {}).get("type") == "home":
            republish(services, client, body)
            return
        blocks, text = answer_aitips(services, client, user_id, team_id, AiTipsRequest("status"))
        respond(blocks=blocks, text=text, replace_original=True)
