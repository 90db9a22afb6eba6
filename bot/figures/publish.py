"""The clock's `releases` job: make every due release whose period's data is complete."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.engine import Engine

from bot.adoption import TierThresholds
from bot.collectors.registry import SOURCES
from bot.figures.disclosure import Rules
from bot.figures.releases import compute_period_releases, data_complete, due_periods
from bot.settings import Settings
from bot.teams import load_teams
from storage import queries
from storage import releases as store
from storage.engine import session as open_session


def rules_for(settings: Settings) -> Rules:
    """The disclosure parameters from the settings."""
    return Rules(k=settings.min_group_size, epsilon=settings.disclosure_epsilon)


def thresholds_for(settings: Settings) -> TierThresholds:
    """The tier thresholds from the settings."""
    return TierThresholds(
        light_max=settings.tier_light_max_days, regular_max=settings.tier_regular_max_days
    )


def configured_tools(engine: Engine, settings: Settings) -> set[str]:
    """Every tool a release lists, used or not: enabled sources and tools anyone has used."""
    enabled = {source.name for source in SOURCES if source.enabled(settings)}
    with open_session(engine) as session:
        held = store.identity_tools(session)
    return enabled | held


def publish_releases(*, engine: Engine, settings: Settings, now: dt.datetime) -> int:
    """Compute the missing releases of every due period whose data is complete, all in one
    pass (one read of the weekly rollup for all of them)."""
    enabled = [source.name for source in SOURCES if source.enabled(settings)]
    with open_session(engine) as session:
        complete_to = [state.last_complete_day for state in queries.sync_states(session, enabled)]
    complete_to += [None] * (len(enabled) - len(complete_to))  # never synced: not complete
    teams = load_teams(engine, settings.team_sources)
    tools = configured_tools(engine, settings)
    periods = [
        period for period in due_periods(now.date()) if data_complete(period, complete_to, now)
    ]
    return compute_period_releases(
        engine,
        teams,
        periods,
        rules=rules_for(settings),
        thresholds=thresholds_for(settings),
        tools=tools,
    )
