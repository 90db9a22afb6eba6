"""The OpenTelemetry intake's storage: counter series state, and additive writes to daily usage.

An OTLP counter arrives either as running totals since the exporter started (cumulative) or as
increments (delta). `advance_series` turns both into the amount each point adds, counting every
increment once: a repeated point adds nothing, and a restarted exporter (a new start time, its
counter back at zero) starts its series again rather than being taken for a drop or a repeat.
`add_daily_usage` then adds those amounts to the stored day.

Both read-modify-write under row locks taken in one order (series keys, then identity and day),
so two posts for the same person and day never lose an increment: on PostgreSQL `SELECT … FOR
UPDATE` after an `INSERT … ON CONFLICT DO NOTHING` that makes sure the row exists to be locked;
on SQLite the first write of the transaction takes the database's single write lock.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, SQLModel, col

from storage import partitions, usage
from storage.batches import insert_for
from storage.models import OtlpSeries, utcnow
from storage.outcomes import OUTCOME_METRICS

_DAILY: sa.Table = SQLModel.metadata.tables["daily_usage"]
_SERIES: sa.Table = SQLModel.metadata.tables["otlp_series"]
_CHUNK = 1_000

#: The daily-usage counts the intake adds to (whole numbers; cost in cents).
ADDITIVE_COUNTS = (
    "interactions",
    "generations",
    "acceptances",
    "lines_accepted",
    "chat_requests",
    "agent_requests",
    "cli_requests",
    "input_tokens",
    "output_tokens",
)

_NEW = -1  # start time of a series row made just now, before its first point


@dataclass(frozen=True, slots=True)
class CounterPoint:
    """One data point of a monotonic counter series."""

    series_key: str
    start_unix_nano: int
    time_unix_nano: int
    value: float
    cumulative: bool


@dataclass(slots=True)
class _State:
    start: int
    last: int
    total: float


def advance_series(session: Session, points: Sequence[CounterPoint]) -> list[tuple[float, float]]:
    """Each point's series total before and after it, locking and updating the series' state.

    A point that adds nothing (a repeat, or a late point of a series already restarted) has
    equal totals. A series' total is its amount since its exporter started.
    """
    if not points:
        return []
    keys = sorted({point.series_key for point in points})
    insert = insert_for(session)
    now = utcnow()
    # One statement, many parameter sets: compiled once, sent as multi-row INSERTs.
    session.execute(
        insert(_SERIES).on_conflict_do_nothing(index_elements=["series_key"]),
        [
            {
                "series_key": key,
                "start_unix_nano": _NEW,
                "last_unix_nano": _NEW,
                "total": 0.0,
                "updated_at": now,
            }
            for key in keys
        ],
    )
    states: dict[str, _State] = {}
    for start in range(0, len(keys), _CHUNK):
        part = keys[start : start + _CHUNK]
        rows = session.execute(
            sa.select(
                _SERIES.c.series_key,
                _SERIES.c.start_unix_nano,
                _SERIES.c.last_unix_nano,
                _SERIES.c.total,
            )
            .where(_SERIES.c.series_key.in_(part))
            .order_by(_SERIES.c.series_key)
            .with_for_update()
        )
        for key, first, last, total in rows:
            states[key] = _State(int(first), int(last), float(total))

    results: list[tuple[float, float]] = []
    changed: set[str] = set()
    for point in points:  # the caller's order: the order the exporter sent them in
        state = states[point.series_key]
        moved = _advance(state, point)
        if moved is None:
            results.append((state.total, state.total))
        else:
            results.append(moved)
            changed.add(point.series_key)
    if changed:
        session.execute(
            sa.update(OtlpSeries),
            [
                {
                    "series_key": key,
                    "start_unix_nano": states[key].start,
                    "last_unix_nano": states[key].last,
                    "total": states[key].total,
                    "updated_at": now,
                }
                for key in sorted(changed)
            ],
        )
    return results


def _advance(state: _State, point: CounterPoint) -> tuple[float, float] | None:
    """Move one series past one point: its total before and after, or None if it adds nothing."""
    fresh = state.start == _NEW
    if point.cumulative:
        if fresh or point.start_unix_nano > state.start:  # first sight, or the exporter restarted
            before = 0.0
        elif point.start_unix_nano < state.start or point.time_unix_nano <= state.last:
            return None  # a late point of an earlier run, or a repeat
        elif point.value < state.total:  # a reset without a new start time: a new run
            before = 0.0
        else:
            before = state.total
        after = point.value
    else:
        if not fresh and point.time_unix_nano <= state.last:
            return None  # a repeat of an increment already added
        before = state.total
        after = state.total + point.value
    state.start = point.start_unix_nano
    state.last = point.time_unix_nano
    state.total = after
    return before, after


def add_daily_usage(
    session: Session, additions: Mapping[tuple[int, dt.date], Mapping[str, Any]]
) -> int:
    """Add amounts to the stored days of these (identity id, day)s, creating missing days.

    Each addition holds `tool` and `source`, any of `ADDITIVE_COUNTS`, `cost_cents` (with
    `cost_kind`), `OUTCOME_METRICS`, and `active`. The day's row is written through
    `usage.upsert_daily_usage`, which keeps the weekly rollup in step.
    """
    if not additions:
        return 0
    keys = sorted(additions)
    partitions.ensure_months_for_days(session, {day for _, day in keys})
    insert = insert_for(session)
    now = utcnow()
    session.execute(
        insert(_DAILY).on_conflict_do_nothing(index_elements=["identity_id", "day"]),
        [
            {
                "identity_id": identity_id,
                "day": day,
                "tool": additions[(identity_id, day)]["tool"],
                "source": additions[(identity_id, day)]["source"],
                **usage.zero_usage(),
                "updated_at": now,
            }
            for identity_id, day in keys
        ],
    )
    current = _locked_days(session, keys)
    rows = []
    outcomes = []
    for key in keys:
        stored, added = current[key], additions[key]
        row: dict[str, Any] = {
            name: stored[name] for name in (*usage.USAGE_METRICS, "identity_id", "day")
        }
        row["tool"], row["source"] = added["tool"], added["source"]
        for name in ADDITIVE_COUNTS:
            row[name] = int(stored[name] or 0) + int(added.get(name, 0))
        if "cost_cents" in added:
            row["cost_cents"] = int(stored["cost_cents"] or 0) + int(added["cost_cents"])
            row["cost_kind"] = added.get("cost_kind", stored["cost_kind"])
        row["active"] = bool(stored["active"]) or bool(added.get("active"))
        rows.append(row)
        if any(name in added for name in OUTCOME_METRICS):
            outcomes.append(
                {
                    "b_identity_id": key[0],
                    "b_day": key[1],
                    **{
                        name: (
                            int(stored[name] or 0) + int(added[name])
                            if name in added
                            else stored[name]
                        )
                        for name in OUTCOME_METRICS
                    },
                }
            )
    usage.upsert_daily_usage(session, rows)
    if outcomes:  # upsert_daily_usage replaces the usage metrics only; outcomes are set here
        session.execute(
            sa.update(_DAILY)
            .where(
                _DAILY.c.identity_id == sa.bindparam("b_identity_id"),
                _DAILY.c.day == sa.bindparam("b_day"),
            )
            .values({name: sa.bindparam(name) for name in OUTCOME_METRICS}),
            outcomes,
        )
    return len(rows)


def _locked_days(
    session: Session, keys: Sequence[tuple[int, dt.date]]
) -> dict[tuple[int, dt.date], Mapping[str, Any]]:
    found: dict[tuple[int, dt.date], Mapping[str, Any]] = {}
    columns = [
        _DAILY.c[name] for name in ("identity_id", "day", *usage.USAGE_METRICS, *OUTCOME_METRICS)
    ]
    for start in range(0, len(keys), _CHUNK // 10):
        part = keys[start : start + _CHUNK // 10]
        rows = session.execute(
            sa.select(*columns)
            .where(sa.tuple_(_DAILY.c.identity_id, _DAILY.c.day).in_(part))
            .order_by(_DAILY.c.identity_id, _DAILY.c.day)
            .with_for_update()
        )
        for row in rows.mappings():
            found[(int(row["identity_id"]), row["day"])] = dict(row)
    return found


def forget_series_before(session: Session, before: dt.datetime) -> int:
    """Delete the state of series not seen since `before` (their exporters are long gone)."""
    result = session.execute(sa.delete(OtlpSeries).where(col(OtlpSeries.updated_at) < before))
    return int(getattr(result, "rowcount", 0) or 0)
