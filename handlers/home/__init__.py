"""App Home: the person's own summary on the Home tab."""

from __future__ import annotations

from typing import Any

from slack_bolt import App
from slack_sdk import WebClient

from bot.myusage import DEFAULT_WINDOW, summary_answer
from bot.people import ensure_person
from bot.services import Services


def register(app: App, services: Services) -> None:
    """Register the Home tab."""

    @app.event("app_home_opened")
    def home_opened(event: dict[str, Any], client: WebClient, context: dict[str, Any]) -> None:
        """Publish the person's own 28-day summary to their Home tab."""
        if event.get("tab") != "home":
            return
        user_id = event["user"]
        person = ensure_person(services.engine, client, user_id, context.get("team_id"))
        blocks, _ = summary_answer(services, person, DEFAULT_WINDOW)
        client.views_publish(user_id=user_id, view={"type": "home", "blocks": blocks})
