"""Outcome signals: what came of AI use (commits, pull requests, lines, edit decisions).

Frequent use is not productive use, so where a source reports outcomes they are stored beside
the usage counts in `daily_usage` (NULL where the source reports none) and shown to the person.
"""

from __future__ import annotations

import datetime as dt
import functools
import itertools
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import sqlalchemy as sa
from sqlmodel import Session, SQLModel, col

from storage.models import Identity, OrgOutcomeDay, utcnow
from storage.overlap import OTLP_SOURCE

OUTCOME_METRICS = (
    "commits",
    "pull_requests",
    "lines_added",
    "lines_removed",
    "edits_accepted",
    "edits_rejected",
)

Honesty = Literal["vendor-reported", "estimated", "signal-not-bill"]
#: How a metric adds up over days and people: counts and amounts sum; a flag counts the days
#: (or people) it was true; a phase is the latest value, never summed.
Aggregation = Literal["sum", "days_true", "latest"]


@dataclass(frozen=True, slots=True)
class OutcomeMetric:
    """A per-person outcome column of `daily_usage`: its sources and how far to trust it."""

    name: str
    honesty: Honesty
    aggregation: Aggregation
    sources: tuple[str, ...]
    meaning: str


#: Every per-person outcome column of `daily_usage`, with its honesty label. Team figures may
#: use those whose aggregation is "sum" or "days_true"; `outcome_detail` (JSON breakdowns) is
#: for the person's own view only.
OUTCOMES: tuple[OutcomeMetric, ...] = (
    OutcomeMetric(
        "commits",
        "vendor-reported",
        "sum",
        ("claude_code", "cursor", "otlp"),
        "commits made with the tool (Cursor: commits holding lines from Tab or the agent)",
    ),
    OutcomeMetric(
        "pull_requests",
        "vendor-reported",
        "sum",
        ("claude_code", "otlp"),
        "pull requests made with the tool",
    ),
    OutcomeMetric(
        "lines_added",
        "vendor-reported",
        "sum",
        ("copilot", "claude_code", "cursor", "otlp"),
        "lines the tool added that the person kept (Copilot loc_added_sum, Cursor "
        "acceptedLinesAdded, Claude Code lines_of_code.added)",
    ),
    OutcomeMetric(
        "lines_removed",
        "vendor-reported",
        "sum",
        ("copilot", "claude_code", "cursor", "otlp"),
        "lines the tool removed (Copilot loc_deleted_sum, Cursor acceptedLinesDeleted, Claude "
        "Code lines_of_code.removed)",
    ),
    OutcomeMetric(
        "edits_accepted",
        "vendor-reported",
        "sum",
        ("claude_code", "cursor", "otlp"),
        "agent edits the person accepted (Claude Code edit tools, Cursor totalAccepts)",
    ),
    OutcomeMetric(
        "edits_rejected",
        "vendor-reported",
        "sum",
        ("claude_code", "cursor", "otlp"),
        "agent edits the person rejected (Claude Code edit tools, Cursor totalRejects)",
    ),
    OutcomeMetric("tabs_shown", "vendor-reported", "sum", ("cursor",), "tab completions shown"),
    OutcomeMetric(
        "tabs_accepted", "vendor-reported", "sum", ("cursor",), "tab completions accepted"
    ),
    OutcomeMetric(
        "commit_lines_ai",
        "vendor-reported",
        "sum",
        ("cursor",),
        "lines added in the person's commits that came from Tab or the agent (AI code tracking)",
    ),
    OutcomeMetric(
        "commit_lines_other",
        "vendor-reported",
        "sum",
        ("cursor",),
        "lines added in the person's commits that did not come from AI (AI code tracking)",
    ),
    OutcomeMetric(
        "ai_credits_used",
        "signal-not-bill",
        "sum",
        ("copilot",),
        "AI credits GitHub counts against the person: consumption, not the invoice",
    ),
    OutcomeMetric(
        "adoption_phase",
        "vendor-reported",
        "latest",
        ("copilot",),
        "GitHub's AI adoption phase over the trailing 28 days (0 no cohort, 1 code first, "
        "2 agent first, 3 multi-agent)",
    ),
    OutcomeMetric(
        "used_cloud_agent",
        "vendor-reported",
        "days_true",
        ("copilot",),
        "used Copilot's cloud (coding) agent that day",
    ),
    OutcomeMetric(
        "used_copilot_app",
        "vendor-reported",
        "days_true",
        ("copilot",),
        "used the GitHub Copilot app that day",
    ),
    OutcomeMetric(
        "code_review_active",
        "vendor-reported",
        "days_true",
        ("copilot",),
        "asked Copilot for a review or applied its suggestion that day",
    ),
    OutcomeMetric(
        "code_review_passive",
        "vendor-reported",
        "days_true",
        ("copilot",),
        "Copilot reviewed the person's pull request on its own; not the person using AI",
    ),
)
OUTCOME_COLUMNS = tuple(metric.name for metric in OUTCOMES)
#: Every column a collector may fill besides the usage counts (NULL: not reported).
COLLECTED_COLUMNS = (*OUTCOME_COLUMNS, "outcome_detail")

#: How far each figure can be trusted, shown beside it: every outcome is the tool's own count
#: of what it did (vendor-reported); cost from client telemetry is an estimate, and tokens and
#: AI credits are a signal of use, not a bill.
HONESTY: dict[str, Honesty] = {
    **{metric.name: metric.honesty for metric in OUTCOMES},
    "cost_cents": "estimated",
    "input_tokens": "signal-not-bill",
    "output_tokens": "signal-not-bill",
}

#: Organisation-level figures (`org_outcome_day`) are the vendor's own, and never per person.
ORG_HONESTY: Honesty = "vendor-reported"
ALL_COHORT = "all"

_DAILY: sa.Table = SQLModel.metadata.tables["daily_usage"]


def no_outcomes() -> dict[str, Any]:
    """Every collected outcome column at "not reported" (a new dict each call)."""
    return dict.fromkeys(COLLECTED_COLUMNS)


def replace_org_outcomes(
    session: Session, source: str, day: dt.date, figures: Mapping[tuple[str, str], float]
) -> int:
    """Make `figures` ((cohort, metric) -> value) the complete set of `source`'s for `day`."""
    session.execute(
        sa.delete(OrgOutcomeDay).where(
            col(OrgOutcomeDay.source) == source, col(OrgOutcomeDay.day) == day
        )
    )
    if figures:
        now = utcnow()
        session.execute(
            sa.insert(OrgOutcomeDay),
            [
                {
                    "source": source,
                    "day": day,
                    "cohort": cohort,
                    "metric": metric,
                    "value": float(value),
                    "updated_at": now,
                }
                for (cohort, metric), value in sorted(figures.items())
            ],
        )
    return len(figures)


def org_outcomes(
    session: Session, source: str, since: dt.date, until: dt.date
) -> dict[dt.date, dict[tuple[str, str], float]]:
    """The organisation-level figures of `source` per day: (cohort, metric) -> value."""
    rows = session.execute(
        sa.select(
            col(OrgOutcomeDay.day),
            col(OrgOutcomeDay.cohort),
            col(OrgOutcomeDay.metric),
            col(OrgOutcomeDay.value),
        )
        .where(
            col(OrgOutcomeDay.source) == source,
            col(OrgOutcomeDay.day) >= since,
            col(OrgOutcomeDay.day) <= until,
        )
        .order_by(col(OrgOutcomeDay.day))
    )
    found: dict[dt.date, dict[tuple[str, str], float]] = {}
    for day, cohort, metric, value in rows:
        found.setdefault(day, {})[(cohort, metric)] = float(value)
    return found


def person_outcomes(
    session: Session, person_id: int, since: dt.date, until: dt.date
) -> dict[str, dict[str, int]]:
    """Per tool, the person's outcome totals over the days; a tool reporting none is absent.

    Only verified identities count, as everywhere a person's own figures are shown; a day an
    admin API and OpenTelemetry both reported counts once (`storage/overlap.py`).
    """
    sums: dict[str, Aggregation] = dict.fromkeys(OUTCOME_METRICS, "sum")
    found: dict[str, dict[str, int]] = {}
    for tool, _day, values in _days_counted_once(session, sums, person_id, since, until):
        totals = found.setdefault(tool, dict.fromkeys(OUTCOME_METRICS, 0))
        for name, value in zip(OUTCOME_METRICS, values, strict=True):
            totals[name] += int(value or 0)
    return found


def person_signals(
    session: Session, person_id: int, since: dt.date, until: dt.date
) -> dict[str, dict[str, float]]:
    """Per tool, every outcome in `OUTCOMES` the person's sources reported over the days.

    Each adds up as its `aggregation` says: sums, the number of days a flag was true, the
    latest value (the adoption phase). A metric no source reported is absent, not 0. Only
    verified identities count, as everywhere a person's own figures are shown; a day an admin
    API and OpenTelemetry both reported counts once (`storage/overlap.py`).
    """
    how = {metric.name: metric.aggregation for metric in OUTCOMES}
    return _signals(_days_counted_once(session, how, person_id, since, until))


#: The daily columns `signals_from_rows` reads after (tool, day, source), in this order.
SIGNAL_COLUMNS = tuple(metric.name for metric in OUTCOMES)


def signals_from_rows(rows: Iterable[Sequence[Any]]) -> dict[str, dict[str, float]]:
    """`person_signals` from daily rows already read: (tool, day, source, *SIGNAL_COLUMNS)
    of the person's verified accounts over the days wanted, in any order."""
    how = {metric.name: metric.aggregation for metric in OUTCOMES}
    reported = sorted(
        (row for row in rows if any(value is not None for value in row[3:])),
        key=lambda row: (row[0], row[1]),
    )
    return _signals(_fold_days(reported, list(how), how))


def _signals(days: Iterable[tuple[str, dt.date, list[Any]]]) -> dict[str, dict[str, float]]:
    found: dict[str, dict[str, float]] = {}
    for tool, _day, values in days:
        totals = found.setdefault(tool, {})
        for metric, value in zip(OUTCOMES, values, strict=True):
            if value is None:
                continue
            if metric.aggregation == "latest":
                totals[metric.name] = value  # days come oldest first
            elif metric.aggregation == "days_true":
                totals[metric.name] = totals.get(metric.name, 0) + (1 if value else 0)
            else:
                totals[metric.name] = totals.get(metric.name, 0) + value
    return found


def _days_counted_once(
    session: Session,
    how: Mapping[str, Aggregation],
    person_id: int,
    since: dt.date,
    until: dt.date,
) -> Iterator[tuple[str, dt.date, list[Any]]]:
    """(tool, day, values of the `how` columns) of the person's days that report any of them.

    One value per tool and day, whichever identities reported it: the admin APIs' rows win,
    column by column, and OpenTelemetry's fill only what no admin API reported.
    """
    names = list(how)
    query = _days_statement(tuple(names))
    params = {"person_id": person_id, "since": since, "until": until}
    return _fold_days(session.connection().execute(query, params), names, how)


def _fold_days(
    rows: Iterable[Sequence[Any]], names: list[str], how: Mapping[str, Aggregation]
) -> Iterator[tuple[str, dt.date, list[Any]]]:
    """(tool, day, values) from rows (tool, day, source, *values) ordered by tool and day."""
    for (tool, day), group in itertools.groupby(rows, key=lambda r: (r[0], r[1])):
        found = list(group)
        admin = [row[3:] for row in found if row[2] != OTLP_SOURCE]
        otel = [row[3:] for row in found if row[2] == OTLP_SOURCE]
        values = []
        for index, name in enumerate(names):
            value = _combine([row[index] for row in admin], how[name])
            values.append(
                value if value is not None else _combine([row[index] for row in otel], how[name])
            )
        yield tool, day, values


def _combine(values: list[Any], aggregation: Aggregation) -> Any:
    """One day's value from several identities' (None: none of them reported it)."""
    known = [value for value in values if value is not None]
    if not known:
        return None
    if aggregation == "latest":
        return max(known)
    if aggregation == "days_true":
        return any(known)
    return sum(known)


@functools.cache
def _days_statement(names: tuple[str, ...]) -> Any:
    """The statement `_days_counted_once` runs for these columns, built once: `/myusage` runs
    it on every answer, and building it (a test per column) cost more than running it."""
    daily = _DAILY.c
    return (
        sa.select(daily.tool, daily.day, daily.source, *(daily[name] for name in names))
        .join(Identity, Identity.id == daily.identity_id)  # type: ignore[arg-type]
        .where(
            Identity.person_id == sa.bindparam("person_id"),  # type: ignore[arg-type]
            Identity.verified.is_(True),  # type: ignore[attr-defined]
            daily.day >= sa.bindparam("since"),
            daily.day <= sa.bindparam("until"),
            sa.or_(*(daily[name].is_not(None) for name in names)),
        )
        .order_by(daily.tool, daily.day)
    )
