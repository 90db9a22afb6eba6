"""Daily usage partitioned by month on PostgreSQL (migration 0010), and retention on both."""

from __future__ import annotations

import datetime as dt
import itertools
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from bot.clock import job_specs, run_job
from bot.jobs import purge_expired_usage
from storage import partitions, queries
from storage import releases as release_store
from storage.engine import make_engine
from storage.engine import session as open_session
from storage.migrate import downgrade, upgrade
from storage.models import DailyUsage
from tests.conftest import _postgres_database, make_settings
from tests.factories import add_usage, make_identity, make_person, usage_row
from tests.releases import release_now

NOW = dt.datetime(2026, 12, 2, 10, 0, tzinfo=dt.UTC)  # week 48 (23–29 Nov) is complete
TEAM_SIZE = 5


@pytest.fixture(params=["sqlite", "postgresql"])
def fresh_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """An engine on a brand-new, unmigrated database of each kind."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'uptake.db'}"
    else:
        url = _postgres_database(request)
    engine = make_engine(url)
    yield engine
    engine.dispose()


def _relkind(engine: Engine) -> str | None:
    if engine.dialect.name != "postgresql":
        return None
    with engine.connect() as connection:
        return connection.execute(
            sa.text("SELECT relkind FROM pg_class WHERE oid = to_regclass('daily_usage')")
        ).scalar()


def _tables(engine: Engine) -> set[str]:
    return set(sa.inspect(engine).get_table_names())


def _all_usage(engine: Engine) -> list[tuple[Any, ...]]:
    daily = DailyUsage.__table__.c  # type: ignore[attr-defined]
    statement = sa.select(
        daily.identity_id, daily.day, daily.tool, daily.generations, daily.features
    ).order_by(daily.identity_id, daily.day)
    with engine.connect() as connection:
        return [tuple(row) for row in connection.execute(statement)]


def _insert_as_of_then(engine: Engine, rows: list[dict[str, Any]]) -> None:
    """Write daily rows with only the columns the database has at its (older) revision: the
    code's own write path writes the head schema's columns."""
    table = sa.Table("daily_usage", sa.MetaData(), autoload_with=engine)
    with engine.begin() as connection:
        connection.execute(
            table.insert(),
            [{k: v for k, v in row.items() if k in table.c} | {"updated_at": NOW} for row in rows],
        )


def _populate(engine: Engine) -> tuple[int, list[int]]:
    """A team of five with usage over three months of 2026 and a few days of 2025."""
    table = sa.Table("team", sa.MetaData(), autoload_with=engine)  # the columns as of then
    with engine.begin() as connection:
        team = connection.execute(
            table.insert().values(slug="core", name="Core", source="org_file", allowed=True)
        ).inserted_primary_key[0]
    people, memberships = [], []
    for n in range(TEAM_SIZE):
        person = make_person(engine, slack_user_id=f"UPART{n:04d}")
        people.append(person)
        memberships.append({"team_id": team, "person_id": person, "role": "member"})
        identity = make_identity(
            engine, tool="copilot", external_id=f"gh-part-{n}", person_id=person
        )
        days = [dt.date(2025, 3, 1) + dt.timedelta(days=d) for d in range(0, 20, 4)]
        days += [dt.date(2026, 9, 1) + dt.timedelta(days=d) for d in range(0, 90, 3 + n)]
        _insert_as_of_then(
            engine,
            [
                usage_row(identity, "copilot", day, generations=10 + n, features=["chat"])
                for day in days
            ],
        )
    with open_session(engine) as session:
        queries.add_memberships(session, memberships)
        session.commit()
    return team, people


def test_migration_partitions_a_populated_database_and_downgrade_restores_it(
    fresh_engine: Engine,
) -> None:
    engine = fresh_engine
    upgrade(engine, "0009")
    team, people = _populate(engine)
    before = _all_usage(engine)
    assert len(before) > 100

    upgrade(engine)

    assert _all_usage(engine) == before
    if engine.dialect.name == "postgresql":
        assert _relkind(engine) == "p"
        with engine.connect() as connection:
            months = partitions.partition_months(connection)
        # every month of the data, none missing in between, and three ahead of today
        assert months[0] == dt.date(2025, 3, 1)
        assert len(months) == len(set(months))
        assert all(partitions.next_month(a) == b for a, b in itertools.pairwise(months))
        this_month = partitions.month_of(dt.datetime.now(dt.UTC).date())
        assert months[-1] >= partitions.next_month(partitions.next_month(this_month))
    else:
        assert not any(partitions.is_partition_name(name) for name in _tables(engine))

    # every path still works: replace a day, write a month with no partition, /myusage, releases
    identity = before[0][0]
    add_usage(engine, [usage_row(identity, "copilot", before[-1][1], generations=99)])
    add_usage(engine, [usage_row(identity, "copilot", dt.date(2031, 1, 15), generations=7)])
    after = _all_usage(engine)
    assert len(after) == len(before) + 1
    with open_session(engine) as session:
        _, rows = queries.person_usage(session, people[0], dt.date(2026, 9, 1), dt.date(2031, 2, 1))
    assert {(row.day, row.generations) for row in rows} >= {(dt.date(2031, 1, 15), 7)}
    assert release_now(engine, NOW) > 0
    with open_session(engine) as session:
        assert release_store.release(session, team, "2026-W48") is not None

    downgrade(engine, "0009")

    assert _all_usage(engine) == after
    assert not any(partitions.is_partition_name(name) for name in _tables(engine))
    if engine.dialect.name == "postgresql":
        assert _relkind(engine) == "r"
    upgrade(engine)  # (this code writes the head schema's columns, so write after upgrading)
    add_usage(engine, [usage_row(identity, "copilot", dt.date(2031, 2, 1))])
    assert len(_all_usage(engine)) == len(after) + 1


def test_clock_creates_the_coming_months_idempotently(engine: Engine) -> None:
    specs = job_specs(make_settings(), engine, client=None)
    now = dt.datetime(2033, 5, 20, 3, 15, tzinfo=dt.UTC)

    created = run_job(specs, "partitions", now)
    again = run_job(specs, "partitions", now)

    if engine.dialect.name != "postgresql":
        assert created == again == []
        return
    wanted = [dt.date(2033, 5, 1), dt.date(2033, 6, 1), dt.date(2033, 7, 1), dt.date(2033, 8, 1)]
    assert created == wanted
    assert again == []
    with engine.connect() as connection:
        assert set(wanted) <= set(partitions.partition_months(connection))


def test_a_write_into_a_month_without_a_partition_succeeds(engine: Engine) -> None:
    identity = make_identity(engine, tool="cursor", external_id="far@x.io")
    day = dt.date(2019, 3, 15)
    if engine.dialect.name == "postgresql":
        partitions.purge_before(engine, dt.date(2019, 4, 1))  # no partition for March 2019
        with engine.connect() as connection:
            assert dt.date(2019, 3, 1) not in partitions.partition_months(connection)

    add_usage(engine, [usage_row(identity, "cursor", day, generations=3)])
    add_usage(engine, [usage_row(identity, "cursor", day, generations=4)])  # and again

    assert [(row[1], row[3]) for row in _all_usage(engine)] == [(day, 4)]


def test_retention_drops_whole_months_and_trims_the_one_the_cutoff_is_in(
    engine: Engine,
) -> None:
    now = dt.datetime(2026, 11, 25, 3, 30, tzinfo=dt.UTC)
    cutoff = dt.date(2025, 10, 21)  # 400 days before
    identity = make_identity(engine, tool="cursor", external_id="old@x.io")
    days = [dt.date(2025, 7, 1) + dt.timedelta(days=d) for d in range(0, 160, 2)]
    add_usage(engine, [usage_row(identity, "cursor", day) for day in days])
    expired = [day for day in days if day < cutoff]

    deleted = purge_expired_usage(
        engine=engine, settings=make_settings(retention_days=400), now=now
    )

    assert deleted == len(expired)
    assert [row[1] for row in _all_usage(engine)] == [day for day in days if day >= cutoff]
    if engine.dialect.name == "postgresql":
        with engine.connect() as connection:
            months = partitions.partition_months(connection)
        assert months[0] == dt.date(2025, 10, 1)  # July, August, September dropped whole
    assert purge_expired_usage(engine=engine, settings=make_settings(), now=now) == 0


def test_retention_reports_the_months_it_dropped(engine: Engine) -> None:
    identity = make_identity(engine, tool="cursor", external_id="months@x.io")
    days = [dt.date(2024, 1, 10), dt.date(2024, 2, 10), dt.date(2024, 3, 5), dt.date(2024, 3, 9)]
    add_usage(engine, [usage_row(identity, "cursor", day) for day in days])

    purge = partitions.purge_before(engine, dt.date(2024, 3, 8))

    assert purge.rows_deleted == 3
    if engine.dialect.name == "postgresql":
        assert {dt.date(2024, 1, 1), dt.date(2024, 2, 1)} <= set(purge.months_dropped)
        assert all(month < dt.date(2024, 3, 1) for month in purge.months_dropped)
    else:
        assert purge.months_dropped == ()


def test_retention_on_sqlite_commits_one_bounded_batch_at_a_time(engine: Engine) -> None:
    if engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL drops whole months instead")
    identity = make_identity(engine, tool="cursor", external_id="batch@x.io")
    days = [dt.date(2025, 1, 1) + dt.timedelta(days=d) for d in range(25)]
    add_usage(engine, [usage_row(identity, "cursor", day) for day in days])
    commits: list[int] = []
    sa.event.listen(engine, "commit", lambda _connection: commits.append(1))

    purge = partitions.purge_before(engine, dt.date(2025, 1, 21), batch_rows=6)

    assert purge.rows_deleted == 20
    assert len(commits) == 4  # 6 + 6 + 6 + 2, each in its own transaction
    assert [row[1] for row in _all_usage(engine)] == days[20:]


def test_two_writers_into_the_same_new_month_both_succeed(engine: Engine) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("partitions are PostgreSQL's")
    partitions.purge_before(engine, dt.date(2018, 6, 1))  # no partition for May 2018
    first_id = make_identity(engine, tool="cursor", external_id="first@x.io")
    second_id = make_identity(engine, tool="cursor", external_id="second@x.io")
    day = dt.date(2018, 5, 10)
    failures: list[Exception] = []

    def second_writer() -> None:
        try:
            add_usage(engine, [usage_row(second_id, "cursor", day)])
        except Exception as exc:  # reported by the assertion below
            failures.append(exc)

    with open_session(engine) as first:
        queries.upsert_daily_usage(first, [usage_row(first_id, "cursor", day)])  # makes May
        second = threading.Thread(target=second_writer)
        second.start()
        _wait_until_a_writer_waits(engine)
        first.commit()
    second.join(timeout=30)

    assert failures == []
    assert sorted(row[0] for row in _all_usage(engine)) == [first_id, second_id]


def _wait_until_a_writer_waits(engine: Engine) -> None:
    deadline = time.monotonic() + 10
    with engine.connect() as connection:
        while time.monotonic() < deadline:
            waiting = connection.execute(
                sa.text(
                    "SELECT count(*) FROM pg_stat_activity"
                    " WHERE datname = current_database() AND wait_event_type = 'Lock'"
                )
            ).scalar_one()
            connection.rollback()
            if waiting:
                return
            time.sleep(0.01)
    raise AssertionError("the second writer never waited for the first")
