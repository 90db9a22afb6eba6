"""The Slack surface: thin listeners that ack, parse, call a service and render."""

from __future__ import annotations

from slack_bolt import App

from bot.services import Services
from handlers import actions, commands, home


def register_all(app: App, services: Services) -> None:
    """Register every listener group on `app`."""
    commands.register(app, services)
    home.register(app, services)
    actions.register(app, services)
