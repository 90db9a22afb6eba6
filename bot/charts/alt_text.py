"""The words a screen reader says for a trend chart: the same figures the chart draws."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

from bot.charts.trend import TrendPoint

MAX_ALT_TEXT_CHARS = 1000  # Slack allows 2000 characters in an image block's alt_text
_MAX_NAME_CHARS = 80
_MAX_LABEL_CHARS = 12


def chart_alt_text(points: Sequence[TrendPoint], *, title: str) -> str:
    """One sentence stating every week's figure, in order, and how many weeks are hidden.

    e.g. "Platform: weekly active share, last 3 weeks: W46 40 %, W47 hidden, W48 55 %;
    1 week hidden for privacy." Shares are rounded to whole percents, as the chart labels them.
    Needs no matplotlib.
    """
    name = _one_line(title, _MAX_NAME_CHARS) or "Trend"
    weeks = tuple(points)
    if not weeks:
        return f"{name}: no data yet."
    span = "last week" if len(weeks) == 1 else f"last {len(weeks)} weeks"
    hidden = sum(1 for week in weeks if week.active_share is None)
    if hidden == len(weeks):
        return f"{name}, {span}: all hidden for privacy."
    figures = ", ".join(
        f"{_one_line(week.label, _MAX_LABEL_CHARS) or '?'} "
        + ("hidden" if week.active_share is None else f"{week.active_share * 100:.0f} %")
        for week in weeks
    )
    tail = f"; {hidden} week{'' if hidden == 1 else 's'} hidden for privacy" if hidden else ""
    return f"{name}, {span}: {figures}{tail}."[:MAX_ALT_TEXT_CHARS]


def _one_line(text: str, limit: int) -> str:
    """Printable characters on one line, at most `limit` of them."""
    kept = "".join(
        " " if character.isspace() else character
        for character in text
        if character.isspace() or unicodedata.category(character)[0] != "C"
    )
    return " ".join(kept.split())[:limit].rstrip()
