"""App Home: the person's own summary and tip settings on the Home tab."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.blocks.ids import HOME_TIPS_FREQUENCY, HOME_TIPS_OFF, HOME_TIPS_ON, HOME_TIPS_SNOOZE
from bot.home import publish_home
from bot.services import Services
from bot.tips.actions import home_tip_change


def register(app: App, services: Services) -> None:
    """Register the Home tab and its tip buttons."""

    @app.event("app_home_opened")
    def home_opened(event: dict[str, Any], client: WebClient, context: dict[str, Any]) -> None:
        """Publish the person's own summary and tip settings to their Home tab."""
        if event.get("tab") != "home":
            return
        publish_home(services, client, event["user"], context.get("team_id"))

    @app.action(HOME_TIPS_ON)
    @app.action(HOME_TIPS_OFF)
    @app.action(HOME_TIPS_SNOOZE)
    @app.action(HOME_TIPS_FREQUENCY)
    def tip_setting(
        ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient
    ) -> None:
        """Change the clicker's own tip settings, then refresh their Home tab."""
        ack()
        user_id = body["user"]["id"]
        value = (action.get("selected_option") or {}).get("value") or action.get("value", "")
        home_tip_change(services, client, user_id, action["action_id"], str(value))
        publish_home(services, client, user_id, (body.get("team") or {}).get("id"))
