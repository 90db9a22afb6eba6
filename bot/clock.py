"""The clock process: APScheduler 3 runs Uptake's jobs, all registered here.

Correctness never depends on a job running exactly once: every job is idempotent through the
database (day-by-day replace for syncs, idempotency keys for the outbox), so a restart, a
misfire or a second clock by mistake never doubles anything. One clock process is still the
supported set-up, because two would make every call to the vendors twice.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from slack_sdk import WebClient
from sqlalchemy.engine import Engine

from bot import jobs
from bot.adoption import TierThresholds
from bot.collectors.registry import SOURCES
from bot.digests.service import send_weekly_digests
from bot.digests.writer import narrative_writer_for
from bot.figures.publish import publish_releases
from bot.intake.record import forget_idle_series
from bot.ops.heartbeat import beat
from bot.ops.metrics import job_run
from bot.settings import Settings
from bot.tips.library import default_library
from bot.tips.llm import TipWriter
from bot.tips.service import plan_tips
from bot.tips.writer import tip_writer_for
from storage.models import utcnow

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class JobSpec:
    """A job: its name, when it runs, and what it calls (given `now`)."""

    name: str
    trigger: Any
    run: Callable[[dt.datetime], object]
    description: str


def job_specs(
    settings: Settings,
    engine: Engine,
    client: WebClient | None,
    writer: TipWriter | None = None,
) -> list[JobSpec]:
    """Every scheduled job, in one place."""
    writer = writer or tip_writer_for(settings)
    specs = [
        JobSpec(
            f"sync:{source.name}",
            # Cursor aggregates hourly and allows 20 calls a minute; GitHub's report for
            # yesterday appears some hours after UTC midnight, so hourly tries pick it up.
            IntervalTrigger(minutes=settings.sync_interval_minutes, jitter=120),
            _sync_job(engine, settings, source.name),
            f"incremental {source.label} sync every {settings.sync_interval_minutes} minutes",
        )
        for source in SOURCES
        if source.enabled(settings)
    ]
    specs.append(
        JobSpec(
            "tips",
            IntervalTrigger(hours=1, jitter=120),
            lambda now: plan_tips(
                engine=engine,
                library=default_library(),
                writer=writer,
                thresholds=TierThresholds(
                    light_max=settings.tier_light_max_days,
                    regular_max=settings.tier_regular_max_days,
                ),
                now=now,
            ),
            "plan tips for people who opted in and are due, hourly",
        )
    )
    specs.append(
        JobSpec(
            "releases",
            # Hourly: a week's releases are made once every source is complete to its Sunday
            # (or two days after), before the digests that read them.
            CronTrigger(minute=5, timezone="UTC"),
            lambda now: publish_releases(engine=engine, settings=settings, now=now),
            "make each team's release for every period that has ended and is complete, hourly",
        )
    )
    specs.append(
        JobSpec(
            "digests",
            # Every quarter hour, so each recipient's own Monday 09:00 is met within 15 minutes;
            # the outbox key (recipient, team, ISO week) makes every run after the first a no-op.
            CronTrigger(minute="*/15", timezone="UTC"),
            lambda now: _digests(engine, settings, now),
            "queue each manager's weekly digest at their own Monday 09:00",
        )
    )
    specs.append(
        JobSpec(
            "heartbeat",
            IntervalTrigger(minutes=1),
            lambda now: beat(engine, "clock", now=now),
            "note that the clock is alive (`uptake health` checks it), every minute",
        )
    )
    specs.append(
        JobSpec(
            "retention",
            CronTrigger(hour=3, minute=30, timezone="UTC"),
            lambda now: jobs.purge_expired_usage(engine=engine, settings=settings, now=now),
            f"delete daily usage older than {settings.retention_days} days, 03:30 UTC",
        )
    )
    specs.append(
        JobSpec(
            "otlp-series",
            CronTrigger(hour=3, minute=45, timezone="UTC"),
            lambda now: forget_idle_series(engine=engine, now=now),
            "forget OpenTelemetry counter series silent for 30 days, 03:45 UTC",
        )
    )
    specs.append(
        JobSpec(
            "partitions",
            # Daily, though a month lasts: the months ahead exist long before they are written.
            CronTrigger(hour=3, minute=15, timezone="UTC"),
            lambda now: jobs.prepare_partitions(engine=engine, now=now),
            "create daily usage's partitions for the coming months (PostgreSQL), 03:15 UTC",
        )
    )
    if client is not None:
        specs.append(
            JobSpec(
                "directory",
                CronTrigger(hour=2, minute=0, timezone="UTC"),
                lambda now: jobs.sync_directory(engine=engine, client=client, settings=settings),
                "refresh people from Slack and link accounts by email, 02:00 UTC",
            )
        )
        specs.append(
            JobSpec(
                "outbox",
                IntervalTrigger(seconds=30),
                lambda now: jobs.send_outbox(engine=engine, client=client, now=now),
                "send due Slack messages every 30 seconds",
            )
        )
    return specs


def build_scheduler(specs: list[JobSpec], scheduler: BaseScheduler | None = None) -> BaseScheduler:
    """A scheduler with every job registered; restarts neither lose nor double work."""
    scheduler = scheduler or BlockingScheduler(timezone="UTC")
    scheduler.configure(
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 3600}
    )
    for spec in specs:
        scheduler.add_job(
            _runner(spec), spec.trigger, id=spec.name, name=spec.description, replace_existing=True
        )
    return scheduler


def run_job(specs: list[JobSpec], name: str, now: dt.datetime | None = None) -> object:
    """Run one job now (for operators and tests)."""
    for spec in specs:
        if spec.name == name:
            return spec.run(now or utcnow())
    raise KeyError(name)


def _digests(engine: Engine, settings: Settings, now: dt.datetime) -> int:
    """Make any release that is due (a no-op when the hourly job already has), then digests."""
    publish_releases(engine=engine, settings=settings, now=now)
    return send_weekly_digests(
        engine=engine,
        team_sources=settings.team_sources,
        narrative=narrative_writer_for(settings),
        now=now,
    )


def _sync_job(engine: Engine, settings: Settings, source: str) -> Callable[[dt.datetime], object]:
    def run(now: dt.datetime) -> object:
        return jobs.sync_usage(engine=engine, settings=settings, now=now, source=source)

    return run


def _runner(spec: JobSpec) -> Callable[[], None]:
    def run() -> None:
        try:
            with job_run(spec.name):
                spec.run(utcnow())
        except Exception:  # a failing job must not stop the clock; it runs again next time
            logger.exception("job %s failed", spec.name)

    return run
