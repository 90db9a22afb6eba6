"""A person's own trend chart: their active days in each of the last 12 weeks.

Only the person sees it (inside their ephemeral `/myusage` answer). The chart gets the week
labels and shares only, so nothing else about the person can reach the image; the alt text
states the same figures for screen readers.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

from bot.charts import TrendPoint, chart_alt_text

CHART_WEEKS = 12
CHART_TITLE = "Your days with AI tools, share of each week"
DAYS_A_WEEK = 7


@dataclass(frozen=True, slots=True)
class PersonalChart:
    """What a person's chart shows, and the key its uploaded file is kept under."""

    person_id: int
    points: tuple[TrendPoint, ...]
    title: str = CHART_TITLE

    @property
    def alt_text(self) -> str:
        """What a screen reader says: every week's figure, in order."""
        return chart_alt_text(self.points, title=self.title)

    @property
    def digest(self) -> str:
        """A hash of everything drawn: the same digest means the same image."""
        drawn = "\n".join(f"{point.label}\t{point.active_share!r}" for point in self.points)
        return hashlib.sha256(f"{self.person_id}\n{self.title}\n{drawn}".encode()).hexdigest()

    @property
    def filename(self) -> str:
        """The uploaded file's name (no name or id of the person in it)."""
        return f"uptake-trend-{self.digest[:12]}.png"


def personal_chart(
    person_id: int, weekly_active_days: tuple[int, ...], end: dt.date
) -> PersonalChart:
    """The chart of the last CHART_WEEKS seven-day weeks ending on `end`, oldest first.

    Each week is labelled with its last day and drawn as the share of its seven days with any
    recorded use.
    """
    weeks = weekly_active_days[-CHART_WEEKS:]
    first_end = end - dt.timedelta(days=DAYS_A_WEEK * (len(weeks) - 1))
    points = tuple(
        TrendPoint(
            label=_day_month(first_end + dt.timedelta(days=DAYS_A_WEEK * index)),
            active_share=min(DAYS_A_WEEK, max(0, days)) / DAYS_A_WEEK,
        )
        for index, days in enumerate(weeks)
    )
    return PersonalChart(person_id=person_id, points=points)


def _day_month(day: dt.date) -> str:
    """ "2 Sep": short enough for the chart's axis."""
    return f"{day.day} {day:%b}"
