"""Slash command listeners."""

from __future__ import annotations

from slack_bolt import App

from bot.services import Services
from handlers.commands import admin, aitips, myusage, teamusage


def register(app: App, services: Services) -> None:
    """Register every slash command."""
    myusage.register(app, services)
    admin.register(app, services)
    teamusage.register(app, services)
    aitips.register(app, services)
