"""Running collectors: which days to pull, writing complete days, and recording sync state."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy.engine import Engine

from bot.collectors.base import Collector, CollectorError, DayReport, ReportNotReady, day_range
from storage import identities, outcomes, sync_state, usage
from storage.engine import session as open_session

logger = logging.getLogger(__name__)

# Vendors revise recent days (late telemetry), so every incremental run pulls these again.
REPULL_DAYS = 2

Progress = Callable[[str, int, int], None]


@dataclass(frozen=True, slots=True)
class SyncOutcome:
    """What one source's sync did."""

    source: str
    days_written: int
    rows_written: int
    last_complete_day: dt.date | None
    waiting_for: dt.date | None = None  # a day the vendor has not produced yet
    error: str | None = None

    @property
    def ok(self) -> bool:
        """True when the source raised no error."""
        return self.error is None


def days_to_pull(
    collector: Collector,
    last_complete: dt.date | None,
    *,
    now: dt.datetime,
    backfill_days: int,
    since: dt.date | None = None,
    until: dt.date | None = None,
) -> list[dt.date]:
    """The days an incremental run (or an explicit backfill) should pull, oldest first."""
    latest = collector.latest_complete_day(now)
    last = min(until, latest) if until else latest
    if since is not None:
        first = since
    elif last_complete is None:
        first = latest - dt.timedelta(days=backfill_days - 1)
    else:
        first = min(
            last_complete + dt.timedelta(days=1), latest - dt.timedelta(days=REPULL_DAYS - 1)
        )
    reachable = collector.first_reachable_day(now)
    if reachable is not None:
        first = max(first, reachable)
    return day_range(first, last) if first <= last else []


def write_day(engine: Engine, collector: Collector, report: DayReport, now: dt.datetime) -> int:
    """Replace the source's rows for the day, link new identities, and advance the sync state."""
    with open_session(engine) as session:
        keys = {(collector.tool, record.external_id) for record in report.records}
        identity_ids = identities.ensure_identities(session, keys)
        emails = {
            identity_ids[(collector.tool, r.external_id)]: r.email
            for r in report.records
            if r.email
        }
        if emails:
            identities.set_identity_emails(session, emails)
        identities.link_identities_to_known_people(session, identity_ids.values())
        rows = [
            {
                "identity_id": identity_ids[(collector.tool, record.external_id)],
                "day": report.day,
                "tool": collector.tool,
                "source": collector.source,
                **usage.zero_usage(),
                **outcomes.no_outcomes(),
                **record.metrics,
            }
            for record in report.records
        ]
        written = usage.replace_source_day(session, collector.source, report.day, rows)
        if report.org_figures is not None:
            outcomes.replace_org_outcomes(session, collector.source, report.day, report.org_figures)
        sync_state.record_sync_success(
            session, collector.source, at=now, complete_through=report.day
        )
        session.commit()
    return written


def sync_source(
    engine: Engine,
    collector: Collector,
    *,
    now: dt.datetime,
    backfill_days: int = 28,
    since: dt.date | None = None,
    until: dt.date | None = None,
    progress: Progress | None = None,
) -> SyncOutcome:
    """Pull a source's missing days; each complete day is committed on its own."""
    with open_session(engine) as session:
        state = sync_state.sync_state(session, collector.source)
        last_complete = state.last_complete_day if state else None
    days = days_to_pull(
        collector, last_complete, now=now, backfill_days=backfill_days, since=since, until=until
    )
    written_days = rows = 0
    waiting: dt.date | None = None
    error: str | None = None
    extras_error: str | None = None
    try:
        collector.sync_extras(engine, now)
    except CollectorError as exc:  # seats or members failing must not stop the usage pull
        extras_error = str(exc)
        logger.error("%s: %s", collector.source, extras_error)
    try:
        for report in collector.fetch(days):
            rows += write_day(engine, collector, report, now)
            written_days += 1
            if progress:
                progress(collector.source, written_days, len(days))
    except ReportNotReady as exc:
        waiting = days[written_days] if written_days < len(days) else None
        logger.info("%s: report not ready yet (%s)", collector.source, exc)
    except CollectorError as exc:
        failed_day = days[written_days] if written_days < len(days) else None
        error = f"{exc} (while pulling {failed_day})" if failed_day else str(exc)
        logger.error("%s: sync failed after %d day(s): %s", collector.source, written_days, error)
        with open_session(engine) as session:
            sync_state.record_sync_error(session, collector.source, at=now, error=error)
            session.commit()
    if error is None and extras_error is not None:
        error = extras_error
        with open_session(engine) as session:
            sync_state.record_sync_error(session, collector.source, at=now, error=error)
            session.commit()
    if not days and error is None:
        with open_session(engine) as session:
            sync_state.record_sync_success(session, collector.source, at=now, complete_through=None)
            session.commit()
    with open_session(engine) as session:
        state = sync_state.sync_state(session, collector.source)
    return SyncOutcome(
        source=collector.source,
        days_written=written_days,
        rows_written=rows,
        last_complete_day=state.last_complete_day if state else None,
        waiting_for=waiting,
        error=error,
    )


def sync_all(
    engine: Engine,
    collectors: Sequence[Collector],
    *,
    now: dt.datetime,
    backfill_days: int = 28,
    since: dt.date | None = None,
    until: dt.date | None = None,
    progress: Progress | None = None,
) -> list[SyncOutcome]:
    """Sync every source; one failing source never stops the others."""
    outcomes = []
    for collector in collectors:
        try:
            outcomes.append(
                sync_source(
                    engine,
                    collector,
                    now=now,
                    backfill_days=backfill_days,
                    since=since,
                    until=until,
                    progress=progress,
                )
            )
        finally:
            collector.close()
    return outcomes
