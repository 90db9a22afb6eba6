"""App Home: the person's dashboard on the Home tab, its buttons and the modals it opens."""

from __future__ import annotations

from slack_bolt import App

from bot.services import Services
from handlers.home import dashboard, links, my_data, teams


def register(app: App, services: Services) -> None:
    """Register the Home tab, its buttons and its forms."""
    dashboard.register(app, services)
    links.register(app, services)
    my_data.register(app, services)
    teams.register(app, services)
