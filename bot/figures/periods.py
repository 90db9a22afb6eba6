"""The fixed, complete periods team figures are released for: ISO weeks, 4 and 13 weeks.

Team figures are never computed for a window that ends "today": such windows slide by a day at
a time, and two answers a day apart differ by one day of a few people's usage. Periods here
end on a Sunday and are named by their last ISO week, so every surface asking about the same
team and period gets the same stored release.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

#: Period lengths in weeks, by the name people type.
LENGTHS = {"week": 1, "4w": 4, "13w": 13}
_ISO_WEEK = re.compile(r"^(\d{4})-W(\d{2})$", re.ASCII)
_NAMED = re.compile(r"^(week|4w|13w)(?::(\d{4})-w(\d{2}))?$", re.ASCII)


@dataclass(frozen=True, order=True, slots=True)
class Period:
    """`weeks` whole ISO weeks ending with ISO week `week` of `year` (Monday to Sunday)."""

    year: int
    week: int
    weeks: int = 1

    @property
    def end(self) -> dt.date:
        """The last day (a Sunday)."""
        return dt.date.fromisocalendar(self.year, self.week, 7)

    @property
    def start(self) -> dt.date:
        """The first day (a Monday)."""
        return self.end - dt.timedelta(days=7 * self.weeks - 1)

    @property
    def days(self) -> int:
        """How many days the period covers."""
        return 7 * self.weeks

    @property
    def iso_week(self) -> str:
        """The last week's ISO name, e.g. 2026-W48."""
        return f"{self.year}-W{self.week:02d}"

    @property
    def name(self) -> str:
        """The stored and typed name: `2026-W48`, `4w:2026-W48` or `13w:2026-W48`."""
        return self.iso_week if self.weeks == 1 else f"{self.weeks}w:{self.iso_week}"

    @property
    def kind(self) -> str:
        """`week`, `4w` or `13w`."""
        return "week" if self.weeks == 1 else f"{self.weeks}w"

    def label(self) -> str:
        """How people read it: `week 48 (23 Nov – 29 Nov 2026)`, `4 weeks, 02 Nov – 29 Nov 2026`."""
        if self.weeks == 1:
            return f"week {self.week} ({self.start:%d %b} – {self.end:%d %b %Y})"
        return f"{self.weeks} weeks, {self.start:%d %b} – {self.end:%d %b %Y}"

    def previous(self) -> Period:
        """The period of the same length just before this one."""
        return week_ending(self.start - dt.timedelta(days=1), self.weeks)

    def week_periods(self) -> list[Period]:
        """The single weeks this period is made of, oldest first."""
        return [
            week_ending(self.start + dt.timedelta(days=7 * n + 6), 1) for n in range(self.weeks)
        ]


def week_ending(day: dt.date, weeks: int = 1) -> Period:
    """The period of `weeks` weeks whose last week contains `day`."""
    year, week, _ = day.isocalendar()
    return Period(year, week, weeks)


def last_complete(today: dt.date, weeks: int = 1) -> Period:
    """The latest period of `weeks` weeks that ended before `today`."""
    return week_ending(today - dt.timedelta(days=today.isoweekday()), weeks)


def parse_period(text: str, today: dt.date) -> Period | None:
    """`2026-W48`, `week`, `4w`, `13w` (the last complete one) or `4w:2026-W48`; else None."""
    word = text.strip().lower()
    aliases = {"7d": "week", "28d": "4w", "90d": "13w", "1w": "week"}
    word = aliases.get(word, word)
    iso = _ISO_WEEK.match(word.upper())
    if iso:
        return _checked(int(iso.group(1)), int(iso.group(2)), 1)
    named = _NAMED.match(word)
    if not named:
        return None
    weeks = LENGTHS[named.group(1)]
    if named.group(2) is None:
        return last_complete(today, weeks)
    return _checked(int(named.group(2)), int(named.group(3)), weeks)


def _checked(year: int, week: int, weeks: int) -> Period | None:
    try:
        dt.date.fromisocalendar(year, week, 7)
    except ValueError:
        return None
    return Period(year, week, weeks)
