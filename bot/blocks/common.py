"""Small Block Kit pieces shared by every surface, and Slack's limits on them."""

from __future__ import annotations

import re
from typing import Any

Block = dict[str, Any]

MAX_BLOCKS = 50
MAX_SECTION_TEXT = 3000
MAX_HEADER_TEXT = 150
MAX_FIELDS = 10
MAX_FIELD_TEXT = 2000
MAX_CONTEXT_ELEMENTS = 10


# `&` that does not already start one of the three entities Slack decodes.
_BARE_AMPERSAND = re.compile(r"&(?!(?:amp|lt|gt);)")
# Typed backticks become this look-alike (U+02CB) so that they cannot close a code span.
_BACKTICK_STAND_IN = "\u02cb"


def escape(text: str) -> str:
    """`text` shown literally in mrkdwn: no mention, broadcast or link in it is live.

    Slack decodes only `&amp;`, `&lt;` and `&gt;`; those already in the text (Slack sends typed
    `<` as `&lt;`) are kept, every other `&`, `<` and `>` is escaped.
    """
    return _BARE_AMPERSAND.sub("&amp;", text).replace("<", "&lt;").replace(">", "&gt;")


def code(text: str, limit: int = 100) -> str:
    """Typed input quoted as an inline code span: nothing in it renders as formatting.

    A backtick in the input cannot close the span, a line break cannot end it, and mentions,
    broadcasts and links in it are escaped; the span is never empty.
    """
    shown = "".join(ch if ch.isprintable() else " " for ch in text[:limit]).strip()
    shown = shown.replace("`", _BACKTICK_STAND_IN)
    return f"`{escape(shown)}`" if shown else "`(nothing)`"


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def header(text: str) -> Block:
    """A header block (plain text, clipped to Slack's limit)."""
    return {
        "type": "header",
        "text": {"type": "plain_text", "text": _clip(text, MAX_HEADER_TEXT), "emoji": True},
    }


def section(text: str, *, fields: list[str] | None = None) -> Block:
    """A mrkdwn section, optionally with up to ten fields."""
    block: Block = {"type": "section", "text": mrkdwn(_clip(text, MAX_SECTION_TEXT))}
    if fields:
        block["fields"] = [mrkdwn(_clip(field, MAX_FIELD_TEXT)) for field in fields[:MAX_FIELDS]]
    return block


def context(*texts: str) -> Block:
    """A context block of up to ten mrkdwn elements."""
    return {
        "type": "context",
        "elements": [
            mrkdwn(_clip(text, MAX_SECTION_TEXT)) for text in texts[:MAX_CONTEXT_ELEMENTS]
        ],
    }


def button(text: str, action_id: str, value: str, style: str | None = None) -> dict[str, Any]:
    """A button with plain-text label; `style` is "primary", "danger" or None."""
    element: dict[str, Any] = {
        "type": "button",
        "action_id": action_id,
        "text": {"type": "plain_text", "text": text},
        "value": value,
    }
    if style:
        element["style"] = style
    return element


def divider() -> Block:
    """A divider."""
    return {"type": "divider"}


def mrkdwn(text: str) -> dict[str, str]:
    """A mrkdwn text object."""
    return {"type": "mrkdwn", "text": text}


def blocks_to_text(blocks: list[Block]) -> str:
    """Render blocks as plain text, for the terminal and for notification fallbacks."""
    lines: list[str] = []
    for block in blocks:
        kind = block.get("type")
        if kind == "header":
            title = block["text"]["text"]
            lines += [title, "=" * len(title)]
        elif kind == "section":
            lines.append(block["text"]["text"])
            lines += ["  " + field["text"].replace("\n", " ") for field in block.get("fields", [])]
        elif kind == "context":
            lines.append("  ".join(element.get("text", "") for element in block["elements"]))
        elif kind == "divider":
            lines.append("-" * 40)
    return "\n".join(lines)
