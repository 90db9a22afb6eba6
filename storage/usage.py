"""Daily usage: the metrics a source reports, writing a day's rows, and a person's usage."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

import sqlalchemy as sa
from sqlmodel import Session, SQLModel, col

from storage import bulk_usage, outcomes, partitions, rollup
from storage.batches import insert_for
from storage.models import (
    DailyUsage,
    Identity,
    utcnow,
)
from storage.overlap import counted_once

_DAILY_USAGE: sa.Table = SQLModel.metadata.tables["daily_usage"]


#: The daily counts every source may report (whole numbers, summed across a day's rows).
USAGE_COUNTERS = (
    "interactions",
    "generations",
    "acceptances",
    "lines_suggested",
    "lines_accepted",
    "chat_requests",
    "agent_requests",
    "cli_requests",
    "input_tokens",
    "output_tokens",
)
USAGE_METRICS = ("active", *USAGE_COUNTERS, "cost_cents", "cost_kind", "features")


def zero_usage() -> dict[str, Any]:
    """Every usage metric at its "nothing recorded" value (a new dict each call)."""
    return {
        "active": False,
        **dict.fromkeys(USAGE_METRICS[1:11], 0),
        "cost_cents": None,
        "cost_kind": None,
        "features": [],
    }


class UsageRow(NamedTuple):
    """One day of one tool for one person, as read for the adoption model (a tuple: cheap)."""

    day: dt.date
    tool: str
    source: str
    active: bool
    interactions: int
    generations: int
    acceptances: int
    lines_accepted: int
    cost_cents: int | None
    cost_kind: str | None
    features: tuple[str, ...]


def upsert_daily_usage(
    session: Session, rows: Sequence[Mapping[str, Any]], *, refresh_rollup: bool = True
) -> int:
    """Insert or replace daily usage rows keyed on (identity_id, day), in bulk statements.

    On PostgreSQL a batch of `bulk_usage.MIN_ROWS` or more is COPYed into a staging table and
    applied by one INSERT … SELECT … ON CONFLICT (storage/bulk_usage.py); otherwise one
    statement is executed with many parameter sets. Either way the rollup follows, unless
    the caller writes in many batches and calls `rollup.refresh` itself, once, before commit
    (`uptake import usage`: refreshing a week per batch rescans it per batch).
    """
    if not rows:
        return 0
    partitions.ensure_months_for_days(session, {row["day"] for row in rows})
    insert = insert_for(session)
    now = utcnow()
    if session.get_bind().dialect.name == "postgresql" and len(rows) >= bulk_usage.MIN_ROWS:
        # psycopg runs a statement once per row; COPY and one upsert are far faster.
        bulk_usage.copy_upsert(session, rows, now)
        if refresh_rollup:
            rollup.refresh(session, ((row["identity_id"], row["day"]) for row in rows))
        return len(rows)
    prepared = [{**row, "updated_at": now} for row in rows]
    # The Core table, not the ORM entity: the ORM's bulk path costs more than the database.
    statement = insert(_DAILY_USAGE)
    # Every column the rows carry is replaced (the usage metrics always; outcome columns when
    # the writer gives them), as the PostgreSQL bulk path does.
    statement = statement.on_conflict_do_update(
        index_elements=["identity_id", "day"],
        set_={
            name: statement.excluded[name]
            for name in dict.fromkeys((*USAGE_METRICS, *prepared[0], "tool", "source"))
            if name not in ("identity_id", "day")
        },
    )
    session.execute(statement, prepared)
    if refresh_rollup:
        rollup.refresh(session, ((row["identity_id"], row["day"]) for row in rows))
    return len(prepared)


def replace_source_day(
    session: Session, source: str, day: dt.date, rows: Sequence[Mapping[str, Any]]
) -> int:
    """Make `rows` the complete set of `source`'s rows for `day` (re-pulls never double)."""
    replaced = session.execute(
        sa.delete(DailyUsage)
        .where(col(DailyUsage.source) == source, col(DailyUsage.day) == day)
        .returning(col(DailyUsage.identity_id))
    ).scalars()
    gone = set(replaced) - {row["identity_id"] for row in rows}
    rollup.refresh(session, ((identity_id, day) for identity_id in gone))
    return upsert_daily_usage(session, rows)


_PERSON_USAGE = (
    sa.select(
        col(Identity.id),
        col(Identity.tool),
        col(Identity.verified),
        col(DailyUsage.day),
        col(DailyUsage.tool),
        col(DailyUsage.source),
        col(DailyUsage.active),
        col(DailyUsage.interactions),
        col(DailyUsage.generations),
        col(DailyUsage.acceptances),
        col(DailyUsage.lines_accepted),
        col(DailyUsage.cost_cents),
        col(DailyUsage.cost_kind),
        sa.cast(col(DailyUsage.features), sa.Text),
    )
    .select_from(Identity)
    .outerjoin(
        DailyUsage,
        sa.and_(
            col(DailyUsage.identity_id) == col(Identity.id),
            col(Identity.verified).is_(True),
            col(DailyUsage.day) >= sa.bindparam("since"),
            col(DailyUsage.day) <= sa.bindparam("until"),
        ),
    )
    .where(col(Identity.person_id) == sa.bindparam("person_id"))
)


_PERSON_USAGE_SIGNALS = _PERSON_USAGE.add_columns(
    *(SQLModel.metadata.tables["daily_usage"].c[name] for name in outcomes.SIGNAL_COLUMNS)
)


def person_usage(
    session: Session, person_id: int, since: dt.date, until: dt.date
) -> tuple[list[tuple[str, bool]], list[UsageRow]]:
    """The person's identities (tool, verified) and their verified usage, in one round trip.

    `/myusage`'s hot path: one prebuilt statement, Core execution, features decoded once per
    distinct value.
    """
    identities, rows, _ = _person_usage(session, _PERSON_USAGE, person_id, since, until)
    return identities, rows


def person_usage_and_signals(
    session: Session, person_id: int, since: dt.date, until: dt.date, signals_since: dt.date
) -> tuple[list[tuple[str, bool]], list[UsageRow], dict[str, dict[str, float]]]:
    """`person_usage`, and the person's outcome signals from `signals_since` to `until`
    (`storage.outcomes.person_signals`) from the same rows: one round trip for both."""
    identities, rows, signal_rows = _person_usage(
        session, _PERSON_USAGE_SIGNALS, person_id, since, until
    )
    wanted = (row for row in signal_rows if row[1] >= signals_since)
    return identities, rows, outcomes.signals_from_rows(wanted)


def _person_usage(
    session: Session, statement: Any, person_id: int, since: dt.date, until: dt.date
) -> tuple[list[tuple[str, bool]], list[UsageRow], list[tuple[Any, ...]]]:
    decoded: dict[str | None, tuple[str, ...]] = {None: ()}
    identities: dict[int | None, tuple[str, bool]] = {}
    rows = []
    signal_rows: list[tuple[Any, ...]] = []
    result = session.connection().execute(
        statement, {"person_id": person_id, "since": since, "until": until}
    )
    for record in result.all():
        (identity_id, identity_tool, verified, day, tool, source, active) = record[:7]
        inter, gen, acc, lines, cost, kind, features = record[7:14]
        identities[identity_id] = (identity_tool, bool(verified))
        if day is None:
            continue
        if features not in decoded:
            decoded[features] = tuple(json.loads(features) or ())
        rows.append(
            UsageRow(
                day,
                tool,
                source,
                bool(active),
                inter,
                gen,
                acc,
                lines,
                cost,
                kind,
                decoded[features],
            )
        )
        if len(record) > 14:
            signal_rows.append((tool, day, source, *record[14:]))
    return list(identities.values()), counted_once(rows), signal_rows


def usage_rows_for_person(
    session: Session, person_id: int, since: dt.date, until: dt.date
) -> list[UsageRow]:
    """The person's daily usage from verified identities, `since` to `until` inclusive."""
    return person_usage(session, person_id, since, until)[1]
