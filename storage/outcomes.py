"""Outcome signals: what came of AI use (commits, pull requests, lines, edit decisions).

Frequent use is not productive use, so where a source reports outcomes they are stored beside
the usage counts in `daily_usage` (NULL where the source reports none) and shown to the person.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, SQLModel

from storage.models import Identity

OUTCOME_METRICS = (
    "commits",
    "pull_requests",
    "lines_added",
    "lines_removed",
    "edits_accepted",
    "edits_rejected",
)

#: How far each figure can be trusted, shown beside it: every outcome is the tool's own count
#: of what it did (vendor-reported); cost from client telemetry is an estimate, and tokens are a
#: signal of use, not a bill.
HONESTY = {
    **dict.fromkeys(OUTCOME_METRICS, "vendor-reported"),
    "cost_cents": "estimated",
    "input_tokens": "signal-not-bill",
    "output_tokens": "signal-not-bill",
}

_DAILY: sa.Table = SQLModel.metadata.tables["daily_usage"]


def person_outcomes(
    session: Session, person_id: int, since: dt.date, until: dt.date
) -> dict[str, dict[str, int]]:
    """Per tool, the person's outcome totals over the days; a tool reporting none is absent.

    Only verified identities count, as everywhere a person's own figures are shown.
    """
    daily = _DAILY.c
    sums: list[Any] = [sa.func.sum(daily[name]) for name in OUTCOME_METRICS]
    reported = sa.or_(*(daily[name].is_not(None) for name in OUTCOME_METRICS))
    rows = session.execute(
        sa.select(daily.tool, *sums)
        .join(Identity, Identity.id == daily.identity_id)  # type: ignore[arg-type]
        .where(
            Identity.person_id == person_id,  # type: ignore[arg-type]
            Identity.verified.is_(True),  # type: ignore[attr-defined]
            daily.day >= since,
            daily.day <= until,
            reported,
        )
        .group_by(daily.tool)
    )
    return {
        tool: {name: int(value or 0) for name, value in zip(OUTCOME_METRICS, values, strict=True)}
        for tool, *values in rows
    }
