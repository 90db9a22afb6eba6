"""Scheduled work as plain functions with explicit dependencies; the clock only calls them."""

from __future__ import annotations

import datetime as dt
import logging

from slack_sdk import WebClient
from sqlalchemy.engine import Engine

from bot.collectors.registry import build_collectors
from bot.directory import DirectorySync, sync_people, sync_user_groups
from bot.outbox import DeliveryReport, deliver_due
from bot.settings import Settings
from bot.sync import SyncOutcome, sync_all
from storage import partitions, rollup
from storage.engine import session as open_session

logger = logging.getLogger(__name__)


def sync_usage(
    *, engine: Engine, settings: Settings, now: dt.datetime, source: str | None = None
) -> list[SyncOutcome]:
    """Incremental sync of every enabled source (or one); each failure is isolated."""
    outcomes = sync_all(
        engine,
        build_collectors(settings, only=source),
        now=now,
        backfill_days=settings.sync_backfill_days,
    )
    for outcome in outcomes:
        logger.info(
            "sync %s: %d day(s), %d row(s), complete to %s%s",
            outcome.source,
            outcome.days_written,
            outcome.rows_written,
            outcome.last_complete_day,
            f", error: {outcome.error}" if outcome.error else "",
        )
    return outcomes


def sync_directory(*, engine: Engine, client: WebClient, settings: Settings) -> DirectorySync:
    """Refresh people (and, if enabled, user-group teams) from Slack's directory."""
    result = sync_people(engine, client)
    if "slack" in settings.team_sources:
        sync_user_groups(engine, client)
    return result


def send_outbox(*, engine: Engine, client: WebClient, now: dt.datetime) -> DeliveryReport:
    """Send whatever the outbox has due."""
    report = deliver_due(engine, client, now=now)
    if report != DeliveryReport():
        logger.info("outbox: %s", report)
    return report


def purge_expired_usage(*, engine: Engine, settings: Settings, now: dt.datetime) -> int:
    """Delete daily usage older than the retention window (privacy rule 8); rows deleted.

    On PostgreSQL whole expired months are dropped and the month the cutoff falls in is
    trimmed; elsewhere rows go in small batches, each committed (storage/partitions.py).
    """
    cutoff = now.astimezone(dt.UTC).date() - dt.timedelta(days=settings.retention_days)
    with open_session(engine) as session:  # whose week the purge changes, rather than everyone's
        purged = rollup.accounts_with_days(session, rollup.week_of(cutoff), cutoff)
    purge = partitions.purge_before(engine, cutoff)
    with open_session(engine) as session:
        rollup.forget_days(session, cutoff, purged)
        session.commit()
    logger.info(
        "retention: deleted %d daily row(s) before %s, %d whole month(s) dropped%s",
        purge.rows_deleted,
        cutoff,
        len(purge.months_dropped),
        "".join(f" {month:%Y-%m}" for month in purge.months_dropped),
    )
    return purge.rows_deleted


def prepare_partitions(*, engine: Engine, now: dt.datetime) -> list[dt.date]:
    """Create daily usage's monthly partitions for this month and the next ones (PostgreSQL)."""
    created = partitions.create_months_ahead(engine, now.astimezone(dt.UTC).date())
    if created:
        logger.info("partitions: created %s", ", ".join(f"{month:%Y-%m}" for month in created))
    return created
