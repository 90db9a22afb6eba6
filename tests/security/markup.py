"""What may not reach Slack from typed input: live mentions, broadcasts, links, formatting."""

from __future__ import annotations

import re
from typing import Any

# Angle-bracket markup Uptake writes itself: mentions of the ids it was given, channel links.
_OWN_MARKUP = re.compile(r"@[UW][A-Z0-9]+|#[CG][A-Z0-9]+")
_ANGLE = re.compile(r"<([^<>]*)>")
FORMATTING = re.compile(r"(?<![\w*])\*[^*\s`][^*`]*\*|(?<![\w_])_[^_\s`][^_`]*_|~[^~\s`][^~`]*~")


def mrkdwn_texts(value: Any) -> list[str]:
    """Every mrkdwn text in blocks (or a message body), however deeply nested."""
    found: list[str] = []
    if isinstance(value, dict):
        if value.get("type") == "mrkdwn" and isinstance(value.get("text"), str):
            found.append(value["text"])
        for item in value.values():
            found += mrkdwn_texts(item)
    elif isinstance(value, list):
        for item in value:
            found += mrkdwn_texts(item)
    return found


def outside_code(text: str) -> str:
    """`text` without its inline code spans (where nothing renders)."""
    return "".join(part for n, part in enumerate(text.split("`")) if n % 2 == 0)


def assert_nothing_live(message: dict[str, Any], typed: list[str], users: set[str]) -> None:
    """Fail if the message makes anything typed live: a broadcast, a mention of someone not
    in `users`, a link, an unbalanced code span, or formatting taken from the typed words."""
    texts = mrkdwn_texts(message.get("blocks") or [])
    if isinstance(message.get("text"), str):
        texts.append(message["text"])
    for text in texts:
        assert text.count("`") % 2 == 0, f"a code span was broken open: {text!r}"
        shown = outside_code(text)
        for inner in _ANGLE.findall(shown):
            assert _OWN_MARKUP.fullmatch(inner), f"live markup <{inner}> in {text!r}"
            if inner.startswith("@"):
                assert inner[1:] in users, f"mention of {inner} in {text!r}"
        for word in typed:
            for formatted in FORMATTING.findall(word):
                assert formatted not in shown, f"typed {formatted!r} rendered in {text!r}"
