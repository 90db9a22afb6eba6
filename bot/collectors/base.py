"""What every collector provides, and the errors that tell the sync runner what happened."""

from __future__ import annotations

import abc
import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

# Pages one paged call may follow: a vendor handing out a fresh `next` page forever stops here.
MAX_PAGES = 1_000


class CollectorError(Exception):
    """A source could not be read; the message is safe to log and store (no secrets)."""


class MalformedReport(CollectorError):
    """A vendor page could not be understood; nothing from it may be written."""


class ReportNotReady(Exception):
    """The vendor has no report for this day yet (GitHub's 204): try again later."""


@dataclass(frozen=True, slots=True)
class VendorRecord:
    """One account's usage of the tool on one day, in Uptake's daily usage columns."""

    external_id: str
    metrics: dict[str, Any]
    # An email the vendor reports for this account, used to link it to a Slack user.
    email: str | None = None


@dataclass(frozen=True, slots=True)
class DayReport:
    """Everything a source reports for one day: the complete set of rows for that day."""

    day: dt.date
    records: list[VendorRecord] = field(default_factory=list)
    # Figures the vendor reports only for the whole organisation, (cohort, metric) -> value;
    # None when the source has none for the day (what is stored is then left alone).
    org_figures: dict[tuple[str, str], float] | None = None


class Collector(abc.ABC):
    """A vendor usage source. `fetch` yields complete days in ascending order."""

    source: ClassVar[str]
    tool: ClassVar[str]
    # The first day the vendor can report (GitHub's usage reports start on 2025-10-10).
    earliest_day: ClassVar[dt.date | None] = None
    # How far back the vendor keeps data, in days (None: no documented limit).
    history_days: ClassVar[int | None] = None
    # Pages one paged call may follow before the sync fails (see `http.page_numbers`).
    max_pages: int = MAX_PAGES

    def latest_complete_day(self, now: dt.datetime) -> dt.date:
        """The newest day that can be complete at `now` (yesterday, UTC, by default)."""
        return now.astimezone(dt.UTC).date() - dt.timedelta(days=1)

    def first_reachable_day(self, now: dt.datetime) -> dt.date | None:
        """The oldest day the vendor still serves at `now`."""
        bounds = []
        if self.earliest_day is not None:
            bounds.append(self.earliest_day)
        if self.history_days is not None:
            bounds.append(now.astimezone(dt.UTC).date() - dt.timedelta(days=self.history_days))
        return max(bounds) if bounds else None

    @abc.abstractmethod
    def fetch(self, days: Sequence[dt.date]) -> Iterator[DayReport]:
        """Yield a report for each day in `days`, oldest first.

        Raise `ReportNotReady` at the first day the vendor has not produced yet, and
        `CollectorError` (or `MalformedReport`) when a page cannot be fetched or understood.
        """

    def sync_extras(self, engine: Any, now: dt.datetime) -> None:  # noqa: B027
        """Pull whatever else the source offers (seats, teams, members); default: nothing."""

    def close(self) -> None:  # noqa: B027
        """Release connections."""


def day_range(first: dt.date, last: dt.date) -> list[dt.date]:
    """Every day from `first` to `last` inclusive."""
    return [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]
