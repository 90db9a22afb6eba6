"""What every Home tab listener reads from a click: who, which workspace, which window."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_sdk import WebClient

from bot.blocks.common import Block
from bot.blocks.home_modals import loading_modal, result_modal
from bot.home import publish_home
from bot.services import Services


def clicker(body: dict[str, Any]) -> tuple[str, str | None]:
    """The Slack user who clicked (from Slack's signed request) and their workspace."""
    return body["user"]["id"], (body.get("team") or {}).get("id")


def home_window(body: dict[str, Any]) -> str | None:
    """The window the Home tab was showing when the click came from it."""
    view = body.get("view") or {}
    metadata = view.get("private_metadata") if view.get("type") == "home" else None
    return metadata if isinstance(metadata, str) else None


def republish(services: Services, client: WebClient, body: dict[str, Any]) -> None:
    """Publish the clicker's Home tab again after a change, over the window it was showing."""
    user_id, team_id = clicker(body)
    publish_home(services, client, user_id, team_id, window=home_window(body))


def open_then_fill(
    client: WebClient,
    body: dict[str, Any],
    title: str,
    answer: Callable[[], tuple[str, list[Block]] | dict[str, Any]],
) -> None:
    """Open a modal at once (a click's trigger lasts 3 seconds), then put the answer in it."""
    opened = client.views_open(trigger_id=body["trigger_id"], view=loading_modal(title))
    found = answer()
    view = found if isinstance(found, dict) else result_modal(*found)
    client.views_update(view_id=opened["view"]["id"], view=view)
