"""Releases for tests whose point is layout, access or scheduling, not the noise.

`release_now` makes every due release the way the clock does, but with an ε so large that the
noise is always 0, so such tests can assert exact figures. The privacy tests (tests/privacy/)
use the real ε.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.engine import Engine

from bot.adoption import TierThresholds
from bot.figures.disclosure import Rules
from bot.figures.releases import compute_releases, due_periods
from bot.teams import load_teams
from storage import releases as release_store
from storage.engine import session as open_session

NOISE_FREE = 60.0  # P(noise ≠ 0) = 2e^-60 / (1 + e^-60): never, in practice


def release_now(
    engine: Engine, now: dt.datetime, *, k: int = 5, epsilon: float = NOISE_FREE
) -> int:
    """Make every due release as of `now` for every allowed team; how many were made."""
    teams = load_teams(engine)
    with open_session(engine) as session:
        tools = release_store.identity_tools(session)
    return sum(
        compute_releases(
            engine,
            teams,
            period,
            rules=Rules(k=k, epsilon=epsilon),
            thresholds=TierThresholds(),
            tools=tools,
        )
        for period in due_periods(now.date())
    )
