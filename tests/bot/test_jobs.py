"""Scheduled jobs, called directly with a fixed `now`, and the clock's registrations."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import sqlalchemy as sa
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy.engine import Engine

from bot.cli import main
from bot.clock import build_scheduler, job_specs, run_job
from bot.jobs import purge_expired_usage
from storage.models import DailyUsage
from tests.conftest import make_settings
from tests.factories import add_usage, make_identity, usage_row

NOW = dt.datetime(2026, 11, 25, 3, 30, tzinfo=dt.UTC)


def test_retention_deletes_only_rows_older_than_the_window(engine: Engine) -> None:
    identity = make_identity(engine, tool="cursor", external_id="a@x.io")
    days = [NOW.date() - dt.timedelta(days=n) for n in (0, 399, 400, 401, 700)]
    add_usage(engine, [usage_row(identity, "cursor", day) for day in days])

    deleted = purge_expired_usage(
        engine=engine, settings=make_settings(retention_days=400), now=NOW
    )

    with engine.connect() as connection:
        kept = sorted(connection.execute(sa.select(DailyUsage.day)).scalars())
    assert deleted == 2
    assert kept == sorted(days[:3])


def test_clock_registers_sync_per_enabled_source_at_most_hourly(engine: Engine) -> None:
    settings = make_settings(cursor_api_key="key_abc", anthropic_admin_key="sk-ant-admin")
    scheduler = build_scheduler(
        job_specs(settings, engine, client=None), BackgroundScheduler(timezone="UTC")
    )
    scheduler.start(paused=True)  # jobs take the scheduler's defaults once it starts
    try:
        jobs = {job.id: job for job in scheduler.get_jobs()}
    finally:
        scheduler.shutdown(wait=False)
    assert set(jobs) == {
        "sync:cursor",
        "sync:claude_code",
        "tips",
        "releases",
        "digests",
        "heartbeat",
        "retention",
        "partitions",
        "otlp-series",
    }
    trigger = jobs["sync:cursor"].trigger
    assert isinstance(trigger, IntervalTrigger)
    assert trigger.interval >= dt.timedelta(hours=1)
    for job in jobs.values():
        assert job.coalesce is True and job.max_instances == 1
        assert job.misfire_grace_time == 3600


def test_settings_refuse_syncing_more_often_than_hourly() -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError):
        make_settings(sync_interval_minutes=30)


def test_run_job_by_name(engine: Engine) -> None:
    specs = job_specs(make_settings(), engine, client=None)
    assert run_job(specs, "retention", NOW) == 0
    with pytest.raises(KeyError):
        run_job(specs, "nope", NOW)


def test_cli_lists_and_runs_jobs(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    database_url: str,
    engine: Engine,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.delenv("SLACK_BOT_TOKEN", raising=False)
    assert main(["jobs"]) == 0
    assert "retention" in capsys.readouterr().out
    assert main(["run-job", "retention", "--now", "2026-11-25T03:30"]) == 0
    assert "retention: 0" in capsys.readouterr().out
    assert main(["run-job", "no-such-job"]) == 2
