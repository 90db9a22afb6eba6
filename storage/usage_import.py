"""Writes of `uptake import usage`: identities linked set-wise, once each."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlmodel import Session, SQLModel

from storage import bulk_usage, identities, partitions, usage
from storage.models import LinkMethod, utcnow

_IDENTITY: sa.Table = SQLModel.metadata.tables["identity"]
_DAILY: sa.Table = SQLModel.metadata.tables["daily_usage"]
_IDS_PER_QUERY = 5_000
_ID_ARRAY = postgresql.ARRAY(sa.Integer)


def link_identities(session: Session, owners: Mapping[int, int], method: LinkMethod) -> None:
    """Link each identity (by id) to its person, verified, in one statement.

    Linking by email leaves alone an identity its person unlinked (method "refused"), as
    automatic linking always does; an import that names the Slack user links it regardless.
    """
    if not owners:
        return
    if session.get_bind().dialect.name == "postgresql":
        refused = (
            "AND i.link_method IS DISTINCT FROM :refused " if method is LinkMethod.EMAIL else ""
        )
        session.execute(
            sa.text(
                "UPDATE identity AS i SET person_id = k.person, link_method = :method, "
                "verified = true "
                "FROM unnest(CAST(:ids AS bigint[]), CAST(:people AS bigint[])) AS k(id, person) "
                f"WHERE i.id = k.id {refused}"
            ),
            {
                "ids": list(owners),
                "people": list(owners.values()),
                "method": method.value,
                "refused": LinkMethod.REFUSED.value,
            },
        )
        return
    statement = (
        sa.update(_IDENTITY)
        .where(_IDENTITY.c.id == sa.bindparam("identity"))
        .values(person_id=sa.bindparam("person"), link_method=method.value, verified=True)
    )
    if method is LinkMethod.EMAIL:
        statement = statement.where(
            _IDENTITY.c.link_method.is_distinct_from(LinkMethod.REFUSED.value)
        )
    session.execute(
        statement,
        [{"identity": identity, "person": person} for identity, person in sorted(owners.items())],
    )


def write_rows(
    session: Session,
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    probably_new: bool = False,
) -> int:
    """Write daily usage rows with distinct keys; how many replaced a stored day.

    Each row is its values in `columns` order (identity_id and day among them). The weekly
    rollup is left to the caller. On PostgreSQL a batch none of whose days is stored yet (a
    first import) is COPYed into the table directly; otherwise it is upserted.
    `probably_new` (the caller's batches so far replaced nothing) tries the COPY before
    counting stored days: it fails on the first stored one, and then they are counted.
    """
    id_at, day_at = columns.index("identity_id"), columns.index("day")
    postgres = session.get_bind().dialect.name == "postgresql"
    direct = postgres and len(rows) >= bulk_usage.MIN_ROWS
    stored = 0 if direct and probably_new else count_stored_days(session, rows, id_at, day_at)
    if direct and not stored:
        partitions.ensure_months_for_days(session, {row[day_at] for row in rows})
        if bulk_usage.copy_new_values(session, columns, rows, utcnow()):
            return 0
        # A stored day (another writer's meanwhile, or one the batch replaces): upsert.
        stored = count_stored_days(session, rows, id_at, day_at)
    usage.upsert_daily_usage(session, [_named(columns, row) for row in rows], refresh_rollup=False)
    return stored


def _named(columns: Sequence[str], values: Sequence[Any]) -> dict[str, Any]:
    row = dict(zip(columns, values, strict=True))
    if "features" in row:
        row["features"] = list(row["features"])
    return row


def count_stored_days(
    session: Session, rows: Sequence[Sequence[Any]], id_at: int = 0, day_at: int = 1
) -> int:
    """How many of these rows' (identity id, day) pairs (at `id_at`, `day_at`) have a usage row.

    Asks by identity and date range rather than by a list of pairs, which PostgreSQL cannot
    plan for thousands of pairs, and matches the pairs here. PostgreSQL takes the ids as one
    array; elsewhere they go a list at a time.
    """
    wanted = {(row[id_at], row[day_at]) for row in rows}
    if not wanted:
        return 0
    ids = sorted({identity_id for identity_id, _ in wanted})
    first = min(day for _, day in wanted)
    last = max(day for _, day in wanted)
    postgres = session.get_bind().dialect.name == "postgresql"
    size = len(ids) if postgres else _IDS_PER_QUERY
    found = 0
    for start in range(0, len(ids), size):
        part = ids[start : start + size]
        among = (
            _DAILY.c.identity_id == sa.any_(sa.bindparam(None, part, type_=_ID_ARRAY))
            if postgres
            else _DAILY.c.identity_id.in_(part)
        )
        stored = session.execute(
            sa.select(_DAILY.c.identity_id, _DAILY.c.day).where(
                among, _DAILY.c.day.between(first, last)
            )
        )
        found += sum(1 for identity_id, day in stored if (identity_id, day) in wanted)
    return found


def ensure_identities(
    session: Session, keys: Iterable[tuple[str, str]]
) -> dict[tuple[str, str], int]:
    """The id of each (tool, external id), creating unlinked identities that are missing.

    On PostgreSQL two statements whatever the number of keys, each taking two arrays (a
    statement with a parameter per value costs more to build than to run).
    """
    wanted = sorted(set(keys))
    if session.get_bind().dialect.name != "postgresql" or not wanted:
        return identities.ensure_identities(session, wanted)
    arrays = {"tools": [tool for tool, _ in wanted], "externals": [ext for _, ext in wanted]}
    session.execute(
        sa.text(
            "INSERT INTO identity (tool, external_id, verified, created_at) "
            "SELECT tool, external_id, false, :now "
            "FROM unnest(CAST(:tools AS text[]), CAST(:externals AS text[])) "
            "AS k(tool, external_id) "
            "ON CONFLICT (tool, external_id) DO NOTHING"
        ),
        {**arrays, "now": utcnow()},
    )
    found = session.execute(
        sa.text(
            "SELECT i.id, i.tool, i.external_id FROM identity i "
            "JOIN unnest(CAST(:tools AS text[]), CAST(:externals AS text[])) "
            "AS k(tool, external_id) "
            "ON i.tool = k.tool AND i.external_id = k.external_id"
        ),
        arrays,
    )
    return {(tool, external): identity_id for identity_id, tool, external in found}
