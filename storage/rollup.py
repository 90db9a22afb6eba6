"""The weekly usage rollup (`usage_week`): kept in step with `daily_usage`, read by releases.

Every write to `daily_usage` calls one function here in the same transaction, which recomputes
the touched (identity, ISO week) rows from the daily rows themselves: whatever the write did
(insert, replace a day, delete), the rollup ends up equal to a fresh aggregate. On PostgreSQL a
transaction-scoped advisory lock per week serialises recomputations of the same week, and each
statement runs on a fresh READ COMMITTED snapshot, so two writers of one week cannot leave it
stale.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlmodel import Session, SQLModel, col

from storage.models import DailyUsage
from storage.outcomes import OUTCOME_METRICS

_ROLLUP: sa.Table = SQLModel.metadata.tables["usage_week"]
_DAILY: sa.Table = SQLModel.metadata.tables["daily_usage"]
_CHUNK = 10_000  # identity ids per statement
_PAIRS = 200_000  # (identity, week) pairs per statement on PostgreSQL
_LOCK_CLASS = 0x7577  # advisory lock namespace of the rollup ("uw")

#: Outcome totals (storage.outcomes' list): NULL where no source reported the outcome that
#: week (never a made-up 0).
OUTCOMES = OUTCOME_METRICS

TOTALS = (
    "interactions",
    "generations",
    "acceptances",
    "lines_accepted",
    "input_tokens",
    "output_tokens",
)


def week_of(day: dt.date) -> dt.date:
    """The Monday of the ISO week `day` is in."""
    return day - dt.timedelta(days=day.weekday())


def refresh(session: Session, keys: Iterable[tuple[int, dt.date]]) -> None:
    """Recompute the rollup rows of these (identity id, day)s' weeks from the daily rows."""
    by_week: dict[dt.date, set[int]] = defaultdict(set)
    for identity_id, day in keys:
        by_week[week_of(day)].add(int(identity_id))
    if session.get_bind().dialect.name == "postgresql":
        _recompute_pairs(session, {week: sorted(ids) for week, ids in by_week.items()})
        return
    for week in sorted(by_week):  # one lock order everywhere: no deadlock between two writers
        _recompute_week(session, week, sorted(by_week[week]))


def _recompute_pairs(session: Session, by_week: dict[dt.date, list[int]]) -> None:
    """PostgreSQL: recompute exactly these (identity, week) rows, many weeks a statement.

    Every week's lock is taken first, in order. One statement does many weeks, taking the
    pairs as two arrays rather than a parameter per id, and reads only the pairs' own days.
    """
    for week in sorted(by_week):
        _lock_week(session, week)
    batch: list[tuple[dt.date, list[int]]] = []
    pairs = 0
    for week in sorted(by_week):
        batch.append((week, by_week[week]))
        pairs += len(by_week[week])
        if pairs >= _PAIRS:
            _recompute_batch(session, batch)
            batch, pairs = [], 0
    if batch:
        _recompute_batch(session, batch)


def _recompute_batch(session: Session, batch: list[tuple[dt.date, list[int]]]) -> None:
    # Array literals: tens of thousands of plain ids and ISO dates, joined far faster than
    # the driver adapts a list element by element.
    pairs = {
        "ids": _array(",".join(map(str, ids)) for _, ids in batch),
        "weeks": _array(",".join([week.isoformat()] * len(ids)) for week, ids in batch),
    }
    session.execute(
        sa.text(
            "DELETE FROM usage_week AS u "
            f"USING {_PAIRS_SQL} WHERE u.identity_id = k.id AND u.week = k.week"
        ),
        pairs,
    )
    session.execute(
        sa.text(_RECOMPUTE_SQL),
        {**pairs, "first": batch[0][0], "end": batch[-1][0] + dt.timedelta(days=7)},
    )


def _array(parts: Iterable[str]) -> str:
    """A PostgreSQL array literal of comma-separated parts that need no quoting."""
    return "{" + ",".join(part for part in parts if part) + "}"


def accounts_with_days(session: Session, first: dt.date, before: dt.date) -> set[int]:
    """The identities with daily rows from `first` up to the day before `before`."""
    rows = session.execute(
        sa.select(_DAILY.c.identity_id)
        .where(_DAILY.c.day >= first, _DAILY.c.day < before)
        .distinct()
    )
    return set(rows.scalars())


def forget_days(session: Session, before: dt.date, purged: Iterable[int] = ()) -> None:
    """Follow a purge of every daily row dated before `before` (retention).

    Weeks wholly before it go. The week `before` falls in lost its first days: its rows are
    recomputed from the days kept, only for the accounts that had rows on the days lost
    (`purged`, read before the purge, and any whose active days say so), and in place: a
    trim never adds a row, and updating the others' totals costs far less than writing them
    again.
    """
    week = week_of(before)
    session.execute(sa.delete(_ROLLUP).where(_ROLLUP.c.week < week))
    if before == week:
        return
    _lock_week(session, week)
    lost = (1 << (before - week).days) - 1
    active_then = session.execute(
        sa.select(_ROLLUP.c.identity_id).where(
            _ROLLUP.c.week == week, _ROLLUP.c.day_mask.op("&")(lost) != 0
        )
    )
    touched = sorted(set(purged) | set(active_then.scalars()))
    postgres = session.get_bind().dialect.name == "postgresql"
    size = len(touched) if postgres else _CHUNK  # one array on PostgreSQL, not a list of values
    for start in range(0, len(touched), max(size, 1)):
        accounts = _among(_ROLLUP.c.identity_id, touched[start : start + size], postgres=postgres)
        # Accounts active on lost days only have nothing left this week.
        session.execute(
            sa.delete(_ROLLUP).where(
                _ROLLUP.c.week == week, accounts, _ROLLUP.c.day_mask.op("&")(127 & ~lost) == 0
            )
        )
        kept = _week_rows(week).where(
            _among(_DAILY.c.identity_id, touched[start : start + size], postgres=postgres)
        )
        fresh = kept.subquery()
        session.execute(
            sa.update(_ROLLUP)
            .where(
                _ROLLUP.c.identity_id == fresh.c[0],
                _ROLLUP.c.week == week,
                accounts,
            )
            .values({name: fresh.c[at] for at, name in enumerate(_COLUMNS) if at > 1})
        )


def _among(column: sa.Column[Any], ids: list[int], *, postgres: bool) -> sa.ColumnElement[bool]:
    """`column` is one of `ids`: one array parameter on PostgreSQL, a list elsewhere."""
    if postgres:
        return column == sa.any_(sa.bindparam(None, ids, type_=postgresql.ARRAY(sa.BigInteger)))
    return column.in_(ids)


def forget_identities(session: Session, identity_ids: sa.Select[Any]) -> None:
    """Follow a delete of every daily row of these identities (a person's `forget`)."""
    session.execute(sa.delete(_ROLLUP).where(_ROLLUP.c.identity_id.in_(identity_ids)))


def _recompute_week(session: Session, week: dt.date, identity_ids: list[int] | None) -> None:
    _lock_week(session, week)
    chunks: Iterable[list[int] | None] = (
        [None]
        if identity_ids is None
        else (identity_ids[i : i + _CHUNK] for i in range(0, len(identity_ids), _CHUNK))
    )
    for chunk in chunks:
        _recompute(session, week, chunk)


def _lock_week(session: Session, week: dt.date) -> None:
    """Serialise recomputations of `week` until the transaction ends (PostgreSQL)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(
            sa.text("SELECT pg_advisory_xact_lock(:space, :week)"),
            {"space": _LOCK_CLASS, "week": week.toordinal()},
        )


_COLUMNS = ("identity_id", "week", "tool", "source", "day_mask", *TOTALS, "cost_cents", *OUTCOMES)


_PAIRS_SQL = "unnest(CAST(:ids AS integer[]), CAST(:weeks AS date[])) AS k(id, week)"
_MASK_SQL = "sum(CASE WHEN d.active THEN 1 << (d.day - k.week) ELSE 0 END)"
# `_week_rows` for a list of (identity, week) pairs: each pair's days are read through the
# primary key and summed on their own, whatever the planner guesses of the arrays' rows.
_RECOMPUTE_SQL = (
    f"INSERT INTO usage_week ({', '.join(_COLUMNS)}) "
    f"SELECT k.id, k.week, a.* FROM {_PAIRS_SQL} CROSS JOIN LATERAL ("
    f"SELECT max(d.tool), max(d.source), {_MASK_SQL} AS day_mask"
    + "".join(f", sum(CASE WHEN d.active THEN d.{name} ELSE 0 END)" for name in TOTALS)
    + ", sum(CASE WHEN d.active THEN d.cost_cents END)"
    + "".join(f", sum(CASE WHEN d.active THEN d.{name} END)" for name in OUTCOMES)
    + " FROM daily_usage AS d WHERE d.identity_id = k.id "
    "AND d.day >= k.week AND d.day < k.week + 7 AND d.day >= :first AND d.day < :end"
    ") AS a WHERE a.day_mask > 0"
)


def _week_rows(week: dt.date) -> sa.Select[Any]:
    """The rollup rows of `week` (`_COLUMNS`), aggregated from the daily rows."""
    daily = _DAILY.c
    days = [week + dt.timedelta(days=i) for i in range(7)]
    active = daily.active.is_(True)
    mask = sa.func.sum(
        sa.case(
            *[(sa.and_(active, daily.day == day), 1 << i) for i, day in enumerate(days)], else_=0
        )
    )
    totals = [sa.func.sum(sa.case((active, daily[name]), else_=0)) for name in TOTALS]
    cost = sa.func.sum(sa.case((active, daily.cost_cents), else_=None))
    outcomes = [sa.func.sum(sa.case((active, daily[name]), else_=None)) for name in OUTCOMES]
    return (
        sa.select(
            daily.identity_id,
            sa.literal(week, sa.Date),
            sa.func.max(daily.tool),
            sa.func.max(daily.source),
            mask,
            *totals,
            cost,
            *outcomes,
        )
        .where(daily.day >= days[0], daily.day <= days[-1])
        .group_by(daily.identity_id)
        .having(mask > 0)
    )


def _recompute(session: Session, week: dt.date, identity_ids: list[int] | None) -> None:
    rows = _week_rows(week)
    delete = sa.delete(_ROLLUP).where(_ROLLUP.c.week == week)
    if identity_ids is not None:
        rows = rows.where(_DAILY.c.identity_id.in_(identity_ids))
        delete = delete.where(_ROLLUP.c.identity_id.in_(identity_ids))
    session.execute(delete)
    session.execute(sa.insert(_ROLLUP).from_select(list(_COLUMNS), rows))


def rebuild(session: Session) -> int:
    """Recompute the whole rollup from the daily rows (after a bulk load); rows written."""
    session.execute(sa.delete(_ROLLUP))
    first, last = session.execute(
        sa.select(sa.func.min(col(DailyUsage.day)), sa.func.max(col(DailyUsage.day)))
    ).one()
    if first is not None:
        week = week_of(first)
        while week <= last:
            _recompute(session, week, None)
            week += dt.timedelta(days=7)
    return int(session.execute(sa.select(sa.func.count()).select_from(_ROLLUP)).scalar_one())


#: The outcome totals releases read (storage/rollup_facts.py), in this order.
RELEASE_OUTCOMES = ("commits", "pull_requests", "lines_added", "edits_accepted", "edits_rejected")
