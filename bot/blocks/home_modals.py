"""Block Kit for the modals the Home tab opens: linking an account, forgetting, and read-only
answers (privacy, the digest preview)."""

from __future__ import annotations

from typing import Any

from bot.blocks.common import Block, context, section
from bot.blocks.ids import (
    FORGET_MODAL,
    LINK_ACCOUNT,
    LINK_ACCOUNT_BLOCK,
    LINK_MODAL,
    LINK_TOOL,
    LINK_TOOL_BLOCK,
)
from bot.personal.forget import FORGET_EXPLANATION
from bot.tools import COPILOT, EMAIL_KEYED_TOOLS, KNOWN_TOOLS

MAX_MODAL_BLOCKS = 100
MAX_TITLE = 24


def _text(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text, "emoji": True}


def modal(
    title: str,
    blocks: list[Block],
    *,
    callback_id: str = "",
    submit: str | None = None,
    close: str = "Close",
    metadata: str = "",
) -> dict[str, Any]:
    """A modal view within Slack's limits (title 24 characters, 100 blocks)."""
    view: dict[str, Any] = {
        "type": "modal",
        "title": _text(title[:MAX_TITLE]),
        "close": _text(close),
        "blocks": blocks[:MAX_MODAL_BLOCKS] or [section(" ")],
    }
    if callback_id:
        view["callback_id"] = callback_id
    if submit:
        view["submit"] = _text(submit)
    if metadata:
        view["private_metadata"] = metadata
    return view


def loading_modal(title: str) -> dict[str, Any]:
    """Opened at once (a click's trigger expires in 3 seconds), then filled in."""
    return modal(title, [section(":hourglass_flowing_sand: One moment…")])


def _option(tool: str) -> dict[str, Any]:
    return {"text": _text(KNOWN_TOOLS[tool]), "value": tool}


def link_modal() -> dict[str, Any]:
    """The form for linking an account: which tool, and the login or email there."""
    options = [_option(tool) for tool in KNOWN_TOOLS]
    return modal(
        "Link an account",
        [
            section(
                "Link an AI tool account to yourself. Nothing of it shows until it is verified: "
                "an admin checks a GitHub login is yours, so nobody can see someone else's "
                "usage by claiming it."
            ),
            {
                "type": "input",
                "block_id": LINK_TOOL_BLOCK,
                "label": _text("Tool"),
                "element": {
                    "type": "static_select",
                    "action_id": LINK_TOOL,
                    "options": options,
                    "initial_option": options[0],
                },
            },
            {
                "type": "input",
                "block_id": LINK_ACCOUNT_BLOCK,
                "label": _text("Your login or email in that tool"),
                "element": {
                    "type": "plain_text_input",
                    "action_id": LINK_ACCOUNT,
                    "max_length": 100,
                    "placeholder": _text("e.g. your GitHub login"),
                },
            },
            context(
                "Claude Code, Cursor and OpenAI accounts link by themselves when they report "
                "your Slack email. The same as `/myusage link github LOGIN`."
            ),
        ],
        callback_id=LINK_MODAL,
        submit="Link",
        close="Cancel",
    )


def link_errors(tool: str, status: str) -> dict[str, str] | None:
    """Field errors for a link form that cannot be accepted, or None when it can."""
    if tool not in KNOWN_TOOLS:
        return {LINK_TOOL_BLOCK: "Choose one of the tools listed."}
    if tool in EMAIL_KEYED_TOOLS:
        return {
            LINK_ACCOUNT_BLOCK: f"{KNOWN_TOOLS[tool]} links by itself when it reports your "
            "Slack email. For an account under another email, ask an Uptake admin to map it."
        }
    if tool == COPILOT and status == "invalid":
        return {
            LINK_ACCOUNT_BLOCK: "That is not a GitHub login: letters, digits and single "
            "hyphens, up to 39 characters."
        }
    if status == "conflict":
        return {
            LINK_ACCOUNT_BLOCK: "That login is already linked to, or claimed by, someone else, "
            "so it was not linked to you. The admins have been told."
        }
    return None


def result_modal(title: str, blocks: list[Block]) -> dict[str, Any]:
    """A read-only answer in a modal (the form it replaces, or a click's answer)."""
    return modal(title, blocks)


def forget_modal() -> dict[str, Any]:
    """Confirming that the person wants everything about them deleted."""
    return modal(
        "Delete your data?",
        [section(FORGET_EXPLANATION), context("This cannot be undone.")],
        callback_id=FORGET_MODAL,
        submit="Delete my data",
        close="Keep it",
    )
