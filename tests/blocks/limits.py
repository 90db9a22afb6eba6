"""Slack's Block Kit limits, checked on builder output."""

from __future__ import annotations

from typing import Any

from slack_sdk.models.blocks import Block

from bot.blocks.common import (
    MAX_BLOCKS,
    MAX_CONTEXT_ELEMENTS,
    MAX_FIELD_TEXT,
    MAX_FIELDS,
    MAX_HEADER_TEXT,
    MAX_SECTION_TEXT,
)


def assert_within_slack_limits(blocks: list[dict[str, Any]]) -> None:
    """Fail if any block breaks a Slack limit (ours, then slack_sdk's own model checks)."""
    assert 0 < len(blocks) <= MAX_BLOCKS, f"{len(blocks)} blocks"
    for block in blocks:
        kind = block["type"]
        if kind == "header":
            assert block["text"]["type"] == "plain_text"
            assert len(block["text"]["text"]) <= MAX_HEADER_TEXT
        elif kind == "section":
            assert len(block["text"]["text"]) <= MAX_SECTION_TEXT
            fields = block.get("fields", [])
            assert len(fields) <= MAX_FIELDS
            assert all(len(f["text"]) <= MAX_FIELD_TEXT for f in fields)
        elif kind == "context":
            assert 0 < len(block["elements"]) <= MAX_CONTEXT_ELEMENTS
            assert all(len(e["text"]) <= MAX_SECTION_TEXT for e in block["elements"])
        parsed = Block.parse(block)
        assert parsed is not None, f"slack_sdk does not recognise {kind}"
        parsed.validate_json()
