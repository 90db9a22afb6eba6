"""The buttons under `/myusage forget`."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, Respond

from bot.blocks.ids import FORGET_CANCEL, FORGET_CONFIRM
from bot.blocks.privacy import forget_cancelled_blocks, forgotten_blocks
from bot.myusage import forget_me
from bot.services import Services


def register(app: App, services: Services) -> None:
    """Register the forget confirmation buttons."""

    @app.action(FORGET_CONFIRM)
    def confirm(ack: Ack, body: dict[str, Any], respond: Respond) -> None:
        """Delete the clicker's own data (only ever the clicker's, whatever the message)."""
        ack()
        rows = forget_me(services, body["user"]["id"])
        respond(blocks=forgotten_blocks(rows), text="Your data was deleted", replace_original=True)

    @app.action(FORGET_CANCEL)
    def cancel(ack: Ack, respond: Respond) -> None:
        """Leave everything as it is."""
        ack()
        respond(blocks=forget_cancelled_blocks(), text="Nothing was deleted", replace_original=True)
