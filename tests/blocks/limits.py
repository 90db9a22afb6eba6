"""Slack's Block Kit limits, checked on builder output."""

from __future__ import annotations

from typing import Any

from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

from bot.blocks.common import (
    MAX_BLOCKS,
    MAX_CONTEXT_ELEMENTS,
    MAX_FIELD_TEXT,
    MAX_FIELDS,
    MAX_HEADER_TEXT,
    MAX_SECTION_TEXT,
)

MAX_IMAGE_TEXT = 2000
MAX_ACTIONS_ELEMENTS = 25
MAX_OVERFLOW_OPTIONS = 5
MAX_SELECT_OPTIONS = 100
MAX_OPTION_TEXT = 75
MAX_OPTION_VALUE = 150


def assert_element_within_limits(element: dict[str, Any]) -> None:
    """Fail if a button or menu breaks a Slack limit slack_sdk does not check."""
    options = element.get("options", [])
    if element["type"] == "overflow":
        assert 2 <= len(options) <= MAX_OVERFLOW_OPTIONS, f"{len(options)} overflow options"
    elif element["type"] == "static_select":
        assert 0 < len(options) <= MAX_SELECT_OPTIONS, f"{len(options)} select options"
    elif element["type"] == "button":
        assert len(element["text"]["text"]) <= MAX_OPTION_TEXT
    for option in options:
        assert len(option["text"]["text"]) <= MAX_OPTION_TEXT
        assert len(option["value"]) <= MAX_OPTION_VALUE


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
            if "accessory" in block:
                assert_element_within_limits(block["accessory"])
        elif kind == "context":
            assert 0 < len(block["elements"]) <= MAX_CONTEXT_ELEMENTS
            assert all(len(e["text"]) <= MAX_SECTION_TEXT for e in block["elements"])
        elif kind == "image":
            assert 0 < len(block["alt_text"]) <= MAX_IMAGE_TEXT, "an image needs alt text"
            assert ("image_url" in block) != ("slack_file" in block)
            if "slack_file" in block:
                assert block["slack_file"].keys() & {"id", "url"}
        elif kind == "actions":
            assert 0 < len(block["elements"]) <= MAX_ACTIONS_ELEMENTS
            for element in block["elements"]:
                assert_element_within_limits(element)
        parsed = Block.parse(block)
        assert parsed is not None, f"slack_sdk does not recognise {kind}"
        parsed.validate_json()


def assert_view_within_slack_limits(view: dict[str, Any]) -> None:
    """Fail if a Home tab or modal breaks a Slack limit: every block as above, 100 blocks a view,
    then slack_sdk's own view checks (type, title, submit and close, metadata, callback id)."""
    blocks = view["blocks"]
    assert 0 < len(blocks) <= 100, f"{len(blocks)} blocks in a view"
    for start in range(0, len(blocks), 50):
        assert_within_slack_limits(blocks[start : start + 50])
    View(**view).validate_json()
    for block in blocks:
        for element in block.get("elements", []) if block["type"] == "actions" else []:
            assert len(element.get("value", "")) <= 2000
            assert len(element.get("action_id", "")) <= 255
        if block["type"] == "actions":
            ids = [element["action_id"] for element in block["elements"]]
            assert len(ids) == len(set(ids)), f"action ids repeat within a block: {ids}"
