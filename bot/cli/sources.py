"""`uptake sync`, `uptake sources` and `uptake people`: where usage and people come in."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from tqdm import tqdm
from tqdm.contrib.logging import logging_redirect_tqdm

from bot.cli.common import add_command, date, engine_for
from bot.settings import Settings

if TYPE_CHECKING:
    from bot.collectors.base import Collector
    from bot.sync import Progress

# The collectors (and the vendors' SDKs) are imported when a command here runs, not for the
# parser.


class _SourceNames:
    """The usage sources' names for `--source`, read from the registry only when asked."""

    def __iter__(self) -> Iterator[str]:
        from bot.collectors.registry import SOURCE_NAMES

        return iter(SOURCE_NAMES)

    def __contains__(self, name: object) -> bool:
        return name in tuple(self)


def build_collectors(settings: Settings, *, only: str | None = None) -> list[Collector]:
    """The enabled sources' collectors (or only the one named)."""
    from bot.collectors import registry

    return registry.build_collectors(settings, only=only)


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the usage-source and directory commands."""
    sync = add_command(
        commands,
        "sync",
        sync_usage,
        help="pull usage from the vendor APIs (incremental, or a backfill with --since)",
        example="uptake sync --source copilot --since 2026-10-01",
    )
    sync.add_argument(
        "--source",
        choices=_SourceNames(),
        metavar="SOURCE",  # listing the choices here would import every collector
        help="only this source, as `uptake sources` names it",
    )
    sync.add_argument("--since", type=date, help="first day to pull, YYYY-MM-DD")
    sync.add_argument("--until", type=date, help="last day to pull, YYYY-MM-DD")
    add_command(
        commands,
        "sources",
        sources,
        help="which usage sources are on, and their sync state",
        example="uptake sources",
    )
    add_command(
        commands,
        "people",
        people,
        help="load people from the Slack directory and link accounts by email",
        example="uptake people",
    )


def sync_usage(settings: Settings, args: argparse.Namespace) -> int:
    """Pull usage from every enabled source (or one) and say what each wrote."""
    from bot.sync import sync_all
    from storage.models import utcnow

    if args.since and args.until and args.since > args.until:
        print("uptake sync: --since is after --until", file=sys.stderr)
        return 2
    collectors = build_collectors(settings, only=args.source)
    if not collectors:
        wanted = args.source or "every source"
        print(f"uptake sync: {wanted} is off; `uptake sources` says what to set", file=sys.stderr)
        return 2
    with engine_for(settings, migrate=True) as engine, progress_bars() as progress:
        outcomes = sync_all(
            engine,
            collectors,
            now=utcnow(),
            backfill_days=settings.sync_backfill_days,
            since=args.since,
            until=args.until,
            progress=progress,
        )
    failed = False
    for outcome in outcomes:
        line = (
            f"{outcome.source}: {outcome.days_written} day(s), {outcome.rows_written} row(s); "
            f"complete to {outcome.last_complete_day or 'nothing yet'}"
        )
        if outcome.waiting_for:
            line += f"; {outcome.waiting_for} not published yet"
        if outcome.error:
            line += f"; FAILED: {outcome.error}"
            failed = True
        print(line)
    return 1 if failed else 0


@contextmanager
def progress_bars() -> Iterator[Progress | None]:
    """A bar a source while a sync pulls days, on a terminal only; log lines print above it."""
    if not sys.stderr.isatty():
        yield None
        return
    bars = _ProgressBars()
    try:
        with logging_redirect_tqdm():
            yield bars
    finally:
        bars.close()


class _ProgressBars:
    """The `progress` callback of `sync_all`: one tqdm bar for the source being pulled."""

    def __init__(self) -> None:
        self._source: str | None = None
        self._bar: tqdm[None] | None = None

    def __call__(self, source: str, done: int, total: int) -> None:
        if self._bar is None or source != self._source:
            self.close()
            self._source = source
            self._bar = tqdm(total=total, desc=source, unit="day", file=sys.stderr)
        self._bar.update(done - self._bar.n)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None


def people(settings: Settings, _args: argparse.Namespace) -> int:
    """Load the Slack directory and link accounts by verified email."""
    from bot.app import make_client
    from bot.jobs import sync_directory

    if settings.slack_bot_token is None:
        print("uptake people needs SLACK_BOT_TOKEN (with users:read.email)", file=sys.stderr)
        return 2
    with engine_for(settings, migrate=True) as engine:
        result = sync_directory(engine=engine, client=make_client(settings), settings=settings)
    print(f"{result.people} people; {result.linked} account(s) linked by email.")
    return 0


def sources(settings: Settings, _args: argparse.Namespace) -> int:
    """Print each usage source: off (and what to set) or on with its sync state."""
    from bot.collectors.registry import SOURCES
    from storage import queries
    from storage.engine import session as open_session

    with engine_for(settings, migrate=True) as engine, open_session(engine) as session:
        states = {state.source: state for state in queries.sync_states(session)}
    for source in SOURCES:
        state = states.get(source.name)
        if not source.enabled(settings):
            print(f"{source.name:<12} off   (set {source.needs})")
            continue
        last = (
            state.last_success_at.isoformat(timespec="minutes")
            if state and state.last_success_at
            else "never"
        )
        complete = state.last_complete_day if state and state.last_complete_day else "-"
        failing = (
            state is not None
            and state.last_error_at is not None
            and (state.last_success_at is None or state.last_error_at >= state.last_success_at)
        )
        error = f"  FAILING: {state.last_error}" if failing and state else ""
        print(f"{source.name:<12} on    last sync {last}, complete to {complete}{error}")
    return 0
