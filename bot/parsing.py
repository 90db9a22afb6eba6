"""One discipline for reading what people type or click: ASCII digits, bounded sizes.

Slack sends whatever a person typed, and a button's value is whatever a message said it
was; listeners read both only through these helpers, and fall back to help on `None`.
`str.isdigit()` is not enough: it is true for `²` and `٣`, which `int()` then refuses or
reads, and `int()` alone accepts `1_000` and surrounding blanks.
"""

from __future__ import annotations

#: Longest command text read; Slack allows more, no Uptake command needs a tenth of it.
MAX_COMMAND_CHARS = 400
#: Most words any Uptake command takes.
MAX_COMMAND_WORDS = 8
#: Longest echo of what was not understood.
MAX_ECHO_CHARS = 100
#: Row ids in buttons fit the 32-bit integer columns they point at.
MAX_ROW_ID = 2**31 - 1


def command_words(text: str) -> list[str] | None:
    """The words of a command's text, or None when it is too long to be an Uptake command."""
    if len(text) > MAX_COMMAND_CHARS:
        return None
    words = text.split()
    return words if len(words) <= MAX_COMMAND_WORDS else None


def echo(text: str) -> str:
    """What to quote back of text that was not understood (escape it before showing it)."""
    return text.strip()[:MAX_ECHO_CHARS]


def ascii_int(word: str, *, low: int, high: int) -> int | None:
    """`word` as an integer in [low, high] if it is only ASCII digits, else None."""
    if not word or len(word) > len(str(high)) or not (word.isascii() and word.isdigit()):
        return None
    value = int(word)
    return value if low <= value <= high else None


def day_count(word: str, allowed: tuple[int, ...]) -> int | None:
    """`7d`, `28d`, `90d` (any of `allowed`) as a number of days, else None."""
    if not word.lower().endswith("d"):
        return None
    days = ascii_int(word[:-1], low=1, high=max(allowed))
    return days if days in allowed else None


def row_id(value: str) -> int | None:
    """A database row id carried in a button's value, else None."""
    return ascii_int(value, low=1, high=MAX_ROW_ID)
