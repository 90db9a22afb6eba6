"""A large import is read and written a chunk at a time, in one transaction."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from bot.importer import ImportRejected, import_usage
from storage.engine import make_engine
from storage.models import DailyUsage, Identity, LinkMethod, UsageWeek
from tests.factories import make_person

PEOPLE = 400
DAYS = 30
FIRST = dt.date(2026, 9, 1)
CHUNK = 1_500  # many chunks, many identities spanning two of them


def write_file(path: Path, *, bad_line_at: int | None = None) -> None:
    with path.open("w", encoding="utf-8") as handle:
        handle.write("email,slack_user_id,tool,date,interactions,generations,acceptances\n")
        line = 1
        for person in range(PEOPLE):
            for offset in range(DAYS):
                line += 1
                who = f"p{person}@x.io," if person % 2 else f",U0P{person:05d}"
                day = (FIRST + dt.timedelta(days=offset)).isoformat()
                tool = "Bad Tool" if line == bad_line_at else "gateway"
                handle.write(f"{who},{tool},{day},{person % 7 + offset},{offset + 1},{offset}\n")


def test_a_large_file_is_written_whole_and_right(engine: Engine, tmp_path: Path) -> None:
    known = {person: make_person(engine, email=f"p{person}@x.io") for person in (1, 3, 399)}
    path = tmp_path / "big.csv"
    write_file(path)

    result = import_usage(engine, path, chunk_rows=CHUNK)

    assert (result.rows, result.identities, result.replaced_rows) == (PEOPLE * DAYS, PEOPLE, 0)
    assert result.unlinked_identities == PEOPLE // 2 - len(known)
    with engine.connect() as connection:
        assert connection.execute(sa.select(sa.func.count()).select_from(DailyUsage)).scalar() == (
            PEOPLE * DAYS
        )
        links = {
            external: (person, method)
            for external, person, method in connection.execute(
                sa.select(Identity.external_id, Identity.person_id, Identity.link_method)
            )
        }
        spot = connection.execute(
            sa.select(DailyUsage.interactions, DailyUsage.acceptances, DailyUsage.active)
            .join(Identity, Identity.id == DailyUsage.identity_id)
            .where(Identity.external_id == "p399@x.io", DailyUsage.day == FIRST + dt.timedelta(29))
        ).one()
        weeks = connection.execute(sa.select(sa.func.count()).select_from(UsageWeek)).scalar()
        rolled = connection.execute(sa.select(sa.func.sum(UsageWeek.interactions))).scalar()
        daily = connection.execute(
            sa.select(sa.func.sum(DailyUsage.interactions)).where(DailyUsage.active.is_(True))
        ).scalar()
    assert tuple(spot) == (399 % 7 + 29, 29, True)
    for person, person_id in known.items():
        assert links[f"p{person}@x.io"] == (person_id, LinkMethod.EMAIL.value)
    assert links["p5@x.io"] == (None, None)
    assert links["U0P00000"][1] == LinkMethod.IMPORT.value
    assert links["U0P00398"][0] is not None
    assert weeks and weeks >= PEOPLE * 4  # the weekly rollup followed every chunk
    assert rolled == daily

    again = import_usage(engine, path, chunk_rows=CHUNK, dry_run=True)
    assert again.replaced_rows == PEOPLE * DAYS


def test_a_bad_line_after_many_chunks_leaves_nothing_written(
    engine: Engine, tmp_path: Path
) -> None:
    path = tmp_path / "late.csv"
    write_file(path, bad_line_at=PEOPLE * DAYS - 5)
    with pytest.raises(ImportRejected) as caught:
        import_usage(engine, path, chunk_rows=CHUNK)
    assert [line for line, _ in caught.value.problems] == [PEOPLE * DAYS - 5]
    with engine.connect() as connection:
        for table in (DailyUsage, Identity, UsageWeek):
            assert connection.execute(sa.select(sa.func.count()).select_from(table)).scalar() == 0


def test_a_chunk_the_database_refuses_fails_the_import_and_leaves_nothing(
    engine: Engine, tmp_path: Path
) -> None:
    """On PostgreSQL chunks are written while the next is read: the write's error still ends it."""
    if engine.dialect.name != "postgresql":
        pytest.skip("a lock timeout is PostgreSQL's")
    path = tmp_path / "big.csv"
    write_file(path)
    impatient = make_engine(
        engine.url.render_as_string(hide_password=False),
        connect_args={"options": "-c lock_timeout=200"},
    )
    try:
        with engine.connect() as holder:
            holder.execute(sa.text("LOCK TABLE identity IN SHARE MODE"))  # no inserts meanwhile
            with pytest.raises(sa.exc.OperationalError, match="lock timeout"):
                import_usage(impatient, path, chunk_rows=CHUNK)
            holder.rollback()
    finally:
        impatient.dispose()
    with engine.connect() as connection:
        for table in (DailyUsage, Identity, UsageWeek):
            assert connection.execute(sa.select(sa.func.count()).select_from(table)).scalar() == 0
