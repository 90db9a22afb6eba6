"""Daily usage written at bulk speed on PostgreSQL: COPY into a staging table, then one upsert.

`upsert_daily_usage` (storage/usage.py) calls `copy_upsert` on PostgreSQL for everything but
the smallest batches. Row by row (even pipelined) PostgreSQL parses, plans and executes each
row; `COPY` streams them and one `INSERT … SELECT … ON CONFLICT` applies them, at a third of raw
`COPY`'s speed or better (benchmarks/bench_ingest.py). The staging table is a temporary table
of the transaction, dropped when it ends, so nothing is left in it and it always has the
columns `daily_usage` has now. Rows whose days nothing has stored yet (a first import) skip
the staging table: `copy_new` COPYs them into `daily_usage` itself.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

import psycopg
import sqlalchemy as sa
from sqlmodel import Session

from storage.partitions import PARENT

#: Below this many rows the ordinary multi-row upsert is as fast, and needs no staging table.
MIN_ROWS = 200
_STAGE = "daily_usage_stage"


def copy_upsert(
    session: Session, rows: Sequence[Mapping[str, Any]], updated_at: dt.datetime
) -> None:
    """Insert or replace `rows` (each with the columns of the first) keyed on (identity_id, day).

    Where two rows share a key the later one wins, as a row-by-row upsert would have it.
    """
    columns = [*rows[0], "updated_at"]
    names = ", ".join(columns)
    session.execute(
        sa.text(
            f"CREATE TEMP TABLE IF NOT EXISTS {_STAGE} "
            "(LIKE daily_usage INCLUDING DEFAULTS, seq bigint NOT NULL) ON COMMIT DROP"
        )
    )
    session.execute(sa.text(f"TRUNCATE {_STAGE}"))
    _copy_rows(session, _STAGE, columns, _values_of(rows, columns[:-1]), updated_at, numbered=True)
    updates = ", ".join(
        f"{name} = EXCLUDED.{name}" for name in columns if name not in {"identity_id", "day"}
    )
    session.execute(
        sa.text(
            f"INSERT INTO daily_usage ({names}) "
            f"SELECT DISTINCT ON (identity_id, day) {names} FROM {_STAGE} "
            "ORDER BY identity_id, day, seq DESC "
            f"ON CONFLICT (identity_id, day) DO UPDATE SET {updates}"
        )
    )
    session.execute(sa.text(f"TRUNCATE {_STAGE}"))


def copy_new(session: Session, rows: Sequence[Mapping[str, Any]], updated_at: dt.datetime) -> bool:
    """COPY rows straight into `daily_usage` when none of their (identity_id, day) is stored.

    As fast as COPY itself: no staging table and no upsert. The caller has counted that none
    of these keys is stored; should another writer store one meanwhile, the COPY fails on the
    key, is undone (a savepoint) and False says that nothing was written.
    """
    columns = list(rows[0])
    return copy_new_values(session, columns, _values_of(rows, columns), updated_at)


def copy_new_values(
    session: Session,
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]],
    updated_at: dt.datetime,
) -> bool:
    """`copy_new` of rows given as their values in `columns` order, which need no dict each."""
    try:
        with session.begin_nested():
            _copy_rows(session, PARENT, [*columns, "updated_at"], rows, updated_at, numbered=False)
    except psycopg.errors.UniqueViolation:
        return False
    return True


def _values_of(rows: Iterable[Mapping[str, Any]], names: list[str]) -> Iterator[list[Any]]:
    return ([row[name] for name in names] for row in rows)


def _copy_rows(
    session: Session,
    table: str,
    columns: list[str],
    rows: Iterable[Sequence[Any]],
    updated_at: dt.datetime,
    *,
    numbered: bool,
) -> None:
    """COPY `rows` (the values of all `columns` but the last, updated_at) into `table`.

    `numbered` adds each row's position as the last column.
    """
    given = columns[:-1]
    json_at = given.index("features")
    features_json: dict[tuple[str, ...], str] = {}  # a few feature sets recur on every row
    # Other JSON columns a writer may give (a collector's outcome breakdowns), NULL kept NULL.
    other_json = [at for at, name in enumerate(given) if name == "outcome_detail"]
    names = ", ".join([*columns, "seq"] if numbered else columns)
    cursor = session.connection().connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        with cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
            for seq, row in enumerate(rows):
                values = list(row)
                features = tuple(values[json_at])
                text = features_json.get(features)
                if text is None:
                    text = features_json[features] = json.dumps(list(features))
                values[json_at] = text
                for at in other_json:
                    if values[at] is not None:
                        values[at] = json.dumps(values[at])
                values.append(updated_at)
                if numbered:
                    values.append(seq)
                copy.write_row(values)
    finally:
        cursor.close()
