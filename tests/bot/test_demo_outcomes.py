"""The demo organisation shows outcomes for every source that reports them, so a newcomer sees
what landed, not only how often people used a tool."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

from bot.demo import build_demo
from bot.figures.outcomes import team_outcomes
from bot.figures.periods import last_complete
from bot.figures.releases import read_releases
from bot.teams import load_teams
from bot.tools import CLAUDE_CODE, COPILOT, CURSOR, OPENAI
from storage.outcomes import OUTCOME_METRICS
from tests.releases import release_now

NOW = dt.datetime(2026, 11, 30, 9, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_demo_has_outcomes_for_every_source_that_reports_them(
    engine: Engine, database_url: str
) -> None:
    build_demo(engine, now=NOW, people_count=200, days=35)

    daily = SQLModel.metadata.tables["daily_usage"].c
    reported = sa.or_(*(daily[name].is_not(None) for name in OUTCOME_METRICS))
    with engine.connect() as connection:
        days_with_outcomes = dict(
            connection.execute(
                sa.select(daily.tool, sa.func.count()).where(reported).group_by(daily.tool)
            ).all()
        )
        claude_commits = connection.execute(
            sa.select(sa.func.sum(daily.commits)).where(daily.tool == CLAUDE_CODE)
        ).scalar_one()
    assert {CLAUDE_CODE, COPILOT, CURSOR} <= set(days_with_outcomes)
    assert OPENAI not in days_with_outcomes  # its API reports none: not reported, never 0
    assert claude_commits > 0

    release_now(engine, NOW)  # noise-free: this checks the demo's data, not the noise
    month = last_complete(NOW.date(), 4)
    shown = 0
    for team in load_teams(engine):
        release = read_releases(engine, team, [month])[month.name]
        figures = team_outcomes(release)
        if release.people >= 8 and figures is not None and figures.any_mean:
            shown += 1
    assert shown >= 27  # of 30 teams, departments and squads of 8–9 alike
