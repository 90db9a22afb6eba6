"""Cursor's AI code tracking report: per commit, the lines that came from AI and the others.

`GET /analytics/ai-code/commits?startDate&endDate&page&pageSize` (Enterprise, Alpha) answers
`{items: [...], totalCount, page, pageSize}`, one item per commit with `userEmail`, `commitTs`
and lines added and deleted by Tab, by the agent (`composer…`) and without AI (`nonAi…`).
Only counts are read, summed per person and UTC day of the commit: never the commit message,
hash, repository or branch.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot.collectors.base import MalformedReport

AI_CODE_PATH = "/analytics/ai-code/commits"
AI_CODE_PAGE_SIZE = 1000
# "5 requests per minute per team, per endpoint": one every 12 seconds never trips it.
AI_CODE_INTERVAL = 12.0
_MAX_EMAIL = 320


@dataclass(slots=True)
class CommitLines:
    """One person's commits of one day, as AI lines and other lines."""

    commits: int = 0
    commits_with_ai: int = 0
    ai_added: int = 0
    ai_deleted: int = 0
    other_added: int = 0
    other_deleted: int = 0

    def outcomes(self) -> dict[str, Any]:
        """The outcome columns these commits fill."""
        return {
            "commits": self.commits_with_ai,
            "commit_lines_ai": self.ai_added,
            "commit_lines_other": self.other_added,
        }

    def detail(self) -> dict[str, int]:
        """The breakdown kept in `outcome_detail["commit_lines"]`."""
        return {
            "commits": self.commits,
            "ai_added": self.ai_added,
            "ai_deleted": self.ai_deleted,
            "other_added": self.other_added,
            "other_deleted": self.other_deleted,
        }


def read_page(
    payload: Any, totals: dict[tuple[dt.date, str], CommitLines], page: int
) -> tuple[int, int | None]:
    """Add a page's commits to `totals`; (items read, the report's total count if it says)."""
    where = f"cursor: {AI_CODE_PATH} page {page}"
    items = payload.get("items") if isinstance(payload, dict) else None
    if not isinstance(items, list):
        raise MalformedReport(f"{where} has no 'items' list")
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            raise MalformedReport(f"{where}, item {index} is not an object")
        day, email = _commit_day(item, f"{where}, item {index}"), _email(item, where, index)
        lines = totals.setdefault((day, email), CommitLines())
        tab = _lines(item, "tab", where, index)
        agent = _lines(item, "composer", where, index)
        other = _lines(item, "nonAi", where, index)
        lines.commits += 1
        if tab[0] + tab[1] + agent[0] + agent[1] > 0:
            lines.commits_with_ai += 1
        lines.ai_added += tab[0] + agent[0]
        lines.ai_deleted += tab[1] + agent[1]
        lines.other_added += other[0]
        lines.other_deleted += other[1]
    total = payload.get("totalCount")
    count = total if isinstance(total, int) and not isinstance(total, bool) else None
    return len(items), count


def _lines(item: Mapping[str, Any], prefix: str, where: str, index: int) -> tuple[int, int]:
    """(added, deleted) lines of one kind; 0 when Cursor leaves them out."""
    found = []
    for key in (f"{prefix}LinesAdded", f"{prefix}LinesDeleted"):
        value = item.get(key)
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if value is None:
            value = 0
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise MalformedReport(f"{where}, item {index} has no whole-number {key!r}")
        found.append(value)
    return found[0], found[1]


def _commit_day(item: Mapping[str, Any], where: str) -> dt.date:
    """The UTC day of `commitTs` (ISO 8601)."""
    value = item.get("commitTs")
    if not isinstance(value, str):
        raise MalformedReport(f"{where} has no 'commitTs'")
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        raise MalformedReport(f"{where} has a 'commitTs' that is not ISO 8601") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC).date()


def _email(item: Mapping[str, Any], where: str, index: int) -> str:
    value = item.get("userEmail")
    if not isinstance(value, str) or "@" not in value or len(value.strip()) > _MAX_EMAIL:
        raise MalformedReport(f"{where}, item {index} has no usable 'userEmail'")
    return value.strip().lower()
