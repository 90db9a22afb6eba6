"""Small Block Kit pieces shared by every surface, and Slack's limits on them."""

from __future__ import annotations

from typing import Any

Block = dict[str, Any]

MAX_BLOCKS = 50
MAX_SECTION_TEXT = 3000
MAX_HEADER_TEXT = 150
MAX_FIELDS = 10
MAX_FIELD_TEXT = 2000
MAX_CONTEXT_ELEMENTS = 10


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
