"""Button and menu listeners."""

from __future__ import annotations

from slack_bolt import App

from bot.services import Services
from handlers.actions import admin_teams, claims, forget, tips, tool_details


def register(app: App, services: Services) -> None:
    """Register every action listener."""
    admin_teams.register(app, services)
    claims.register(app, services)
    forget.register(app, services)
    tips.register(app, services)
    tool_details.register(app, services)
