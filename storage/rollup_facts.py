"""Each person's part in several periods' team figures, folded by the database in one query.

Releases need, per person and period: whether they were active, which tools they used, their
tier days and habit weeks, and their acceptance and outcome totals. All of it folds from the
weekly rollup (`usage_week`), and the database does the folding: Python receives one row per
person, never a row per identity and week. Every period starts on a Monday and ends on a
Sunday, and its tier and habit windows are whole weeks too, so a week is either wholly in a
window or wholly out of it.

Three levels, all plain SQL that PostgreSQL and SQLite both run:

1. per person, week and tool: the day mask OR-ed over the person's identities for that tool,
   and the admin-API rows' totals apart from OpenTelemetry's, so that a person reported by
   both for the same tool and week is counted once: the admin API's figures win, and
   OpenTelemetry only fills an outcome the admin API does not report (never its generations);
2. per person and week: the day mask OR-ed over tools, the week's counted totals, and which
   tools were active;
3. per person: for each period, the conditional sums over the weeks in its windows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, SQLModel

from storage.overlap import OTLP_SOURCE
from storage.rollup import RELEASE_OUTCOMES

_ROLLUP: sa.Table = SQLModel.metadata.tables["usage_week"]
_IDENTITY: sa.Table = SQLModel.metadata.tables["identity"]
_DAY_BITS = 7
_BATCH = 5_000


@dataclass(frozen=True, slots=True)
class FactWindow:
    """One period's windows, each a run of whole ISO weeks named by their Mondays."""

    name: str
    start: dt.date  # the period's first Monday
    tier_start: dt.date  # the first Monday of the tier window
    habit_start: dt.date  # the first Monday of the habit window
    end: dt.date  # the period's last day, a Sunday

    def __post_init__(self) -> None:
        mondays = (self.start, self.tier_start, self.habit_start)
        if any(day.weekday() != 0 for day in mondays) or self.end.weekday() != 6:
            raise ValueError(f"period {self.name} is not made of whole ISO weeks")

    @property
    def first(self) -> dt.date:
        """The earliest week any of its windows reads."""
        return min(self.start, self.tier_start, self.habit_start)


@dataclass(frozen=True, slots=True)
class PersonPeriod:
    """What one person's rows add up to over one period's windows."""

    active: bool
    tier_days: int
    habit_weeks: int
    tools: frozenset[str]
    generations: int
    acceptances: int
    outcomes: tuple[int | None, ...]  # RELEASE_OUTCOMES totals, None where none reported


def person_periods(
    session: Session, windows: Sequence[FactWindow], tools: Sequence[str]
) -> Iterator[tuple[int, dict[str, PersonPeriod]]]:
    """(person id, {window name: facts}) for every person with rollup rows in any window, one
    person at a time. A person appears in a window's dict only if they have rows in its weeks.
    Tools outside `tools` are not reported."""
    if not windows:
        return
    statement = _statement(session, windows, tuple(tools))
    width = 6 + len(tools) + len(RELEASE_OUTCOMES)
    for row in session.execute(statement.execution_options(yield_per=_BATCH)):
        found: dict[str, PersonPeriod] = {}
        for index, window in enumerate(windows):
            part = row[1 + index * width : 1 + (index + 1) * width]
            present, active, tier, habit, generations, acceptances = part[:6]
            if not present:
                continue
            flags = part[6 : 6 + len(tools)]
            found[window.name] = PersonPeriod(
                active=bool(active),
                tier_days=int(tier or 0),
                habit_weeks=int(habit or 0),
                tools=frozenset(tool for tool, flag in zip(tools, flags, strict=True) if flag),
                generations=int(generations or 0),
                acceptances=int(acceptances or 0),
                outcomes=tuple(
                    None if value is None else int(value) for value in part[6 + len(tools) :]
                ),
            )
        yield int(row[0]), found


def _statement(session: Session, windows: Sequence[FactWindow], tools: tuple[str, ...]) -> Any:
    postgres = session.get_bind().dialect.name == "postgresql"
    since = min(window.first for window in windows)
    until = max(window.end for window in windows)
    uw, ident = _ROLLUP.c, _IDENTITY.c
    admin = sa.func.coalesce(uw.source, "") != OTLP_SOURCE
    otlp = sa.not_(admin)
    lit = sa.literal
    active_row = uw.day_mask != 0

    def summed(condition: Any, value: Any) -> Any:
        return sa.func.sum(sa.case((condition, value)))

    # 1. Per person, week and tool.
    first_columns = [
        ident.person_id.label("person"),
        uw.week.label("week"),
        uw.tool.label("tool"),
        sa.func.max(sa.case((admin, lit(1)), else_=lit(0))).label("admin"),
        _bit_or(uw.day_mask, postgres).label("mask"),
    ]
    for name in ("generations", "acceptances", *RELEASE_OUTCOMES):
        first_columns.append(summed(sa.and_(admin, active_row), uw[name]).label(f"{name}_a"))
        first_columns.append(summed(sa.and_(otlp, active_row), uw[name]).label(f"{name}_o"))
    for name in RELEASE_OUTCOMES:  # an admin row reporting it, active or not
        known = sa.and_(admin, uw[name].is_not(None))
        first_columns.append(sa.func.max(sa.case((known, lit(1)), else_=lit(0))).label(f"{name}_k"))
    per_tool = (
        sa.select(*first_columns)
        .select_from(_ROLLUP.join(_IDENTITY, ident.id == uw.identity_id))
        .where(
            ident.person_id.is_not(None),
            ident.verified.is_(True),
            uw.week >= since,
            uw.week <= until,
        )
        .group_by(ident.person_id, uw.week, uw.tool)
        .subquery("per_tool")
    )

    # 2. Per person and week: the counted totals (admin first, OpenTelemetry filling in).
    pt = per_tool.c
    week_columns = [
        pt.person,
        pt.week,
        _bit_or(pt.mask, postgres).label("mask"),
    ]
    for name in ("generations", "acceptances"):
        counted = sa.func.coalesce(pt[f"{name}_a"], 0) + sa.case(
            (pt.admin == 0, sa.func.coalesce(pt[f"{name}_o"], 0)), else_=lit(0)
        )
        week_columns.append(sa.func.sum(counted).label(name))
    for name in RELEASE_OUTCOMES:
        counted = sa.case((pt[f"{name}_k"] == 1, pt[f"{name}_a"]), else_=pt[f"{name}_o"])
        week_columns.append(sa.func.sum(counted).label(name))
    for index, tool in enumerate(tools):
        used = sa.and_(pt.tool == tool, pt.mask != 0)
        week_columns.append(sa.func.max(sa.case((used, lit(1)), else_=lit(0))).label(f"t{index}"))
    per_week = sa.select(*week_columns).group_by(pt.person, pt.week).subquery("per_week")

    # 3. Per person: each window's sums over its weeks.
    pw = per_week.c
    days = sum((pw.mask.op(">>")(bit).op("&")(1) for bit in range(_DAY_BITS)), lit(0))
    columns: list[Any] = [pw.person]
    for window in windows:
        inside = pw.week.between(window.start, window.end)
        columns += [
            sa.func.max(sa.case((pw.week.between(window.first, window.end), lit(1)), else_=lit(0))),
            sa.func.max(sa.case((sa.and_(inside, pw.mask != 0), lit(1)), else_=lit(0))),
            sa.func.sum(sa.case((pw.week.between(window.tier_start, window.end), days))),
            sa.func.sum(
                sa.case((sa.and_(pw.week.between(window.habit_start, window.end), pw.mask != 0), 1))
            ),
            sa.func.sum(sa.case((inside, pw.generations))),
            sa.func.sum(sa.case((inside, pw.acceptances))),
        ]
        columns += [
            sa.func.max(sa.case((inside, pw[f"t{index}"]), else_=lit(0)))
            for index in range(len(tools))
        ]
        columns += [sa.func.sum(sa.case((inside, pw[name]))) for name in RELEASE_OUTCOMES]
    return sa.select(*columns).group_by(pw.person).order_by(pw.person)


def _bit_or(column: Any, postgres: bool) -> Any:
    """The OR of a day mask over a group: `bit_or` on PostgreSQL; elsewhere (SQLite has no
    bitwise aggregate) the sum of each day's bit, taken once by `max`."""
    if postgres:
        return sa.func.bit_or(column)
    return sum((sa.func.max(column.op("&")(1 << bit)) for bit in range(_DAY_BITS)), sa.literal(0))
