"""Storage queries on both databases: bulk upserts, identity linking, reads."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from storage import queries
from storage.engine import session as open_session
from storage.models import DailyUsage, Identity, SyncState
from tests.factories import add_usage, make_identity, make_person, usage_row

DAY = dt.date(2026, 11, 20)


def test_upserting_the_same_day_twice_replaces_it(engine: Engine) -> None:
    person = make_person(engine)
    identity = make_identity(engine, tool="copilot", external_id="octo", person_id=person)
    add_usage(engine, [usage_row(identity, "copilot", DAY, interactions=5, features=["chat"])])
    add_usage(engine, [usage_row(identity, "copilot", DAY, interactions=9, features=["agent"])])

    with open_session(engine) as session:
        rows = session.execute(sa.select(DailyUsage)).scalars().all()
    assert len(rows) == 1
    assert rows[0].interactions == 9
    assert rows[0].features == ["agent"]
    assert rows[0].updated_at.tzinfo is not None


def test_bulk_upsert_handles_more_rows_than_one_statement_can_bind(engine: Engine) -> None:
    identities = [
        make_identity(engine, tool="cursor", external_id=f"p{i}@example.com") for i in range(3)
    ]
    rows = [
        usage_row(identity, "cursor", DAY - dt.timedelta(days=offset), interactions=offset)
        for identity in identities
        for offset in range(700)
    ]
    assert add_usage(engine, rows) == 2100
    with open_session(engine) as session:
        assert queries.count_rows(session, DailyUsage) == 2100


def test_ensure_identities_is_idempotent(engine: Engine) -> None:
    with open_session(engine) as session:
        first = queries.ensure_identities(session, [("copilot", "a"), ("cursor", "b@x.io")])
        again = queries.ensure_identities(session, [("copilot", "a"), ("copilot", "c")])
        session.commit()
        assert first[("copilot", "a")] == again[("copilot", "a")]
        assert queries.count_rows(session, Identity) == 3


def test_email_linking_ignores_case_and_skips_linked_identities(engine: Engine) -> None:
    other = make_person(engine, email="someone@example.com")
    taken = make_identity(engine, tool="openai", external_id="ada@example.com", person_id=other)
    free = make_identity(engine, tool="cursor", external_id="Ada@Example.com")
    ada = make_person(engine, email="ada@example.com")

    with open_session(engine) as session:
        linked = queries.link_unlinked_identities_by_email(session, ada, "ADA@example.com")
        session.commit()
        owners = {
            identity.id: identity.person_id
            for identity in session.execute(sa.select(Identity)).scalars()
        }
    assert linked == 1
    assert owners[free] == ada
    assert owners[taken] == other


def test_person_usage_comes_only_from_their_verified_identities(engine: Engine) -> None:
    ada = make_person(engine)
    bob = make_person(engine)
    verified = make_identity(engine, tool="copilot", external_id="ada", person_id=ada)
    claimed = make_identity(
        engine, tool="cursor", external_id="ada@x.io", person_id=ada, verified=False
    )
    bobs = make_identity(engine, tool="copilot", external_id="bob", person_id=bob)
    add_usage(
        engine,
        [
            usage_row(verified, "copilot", DAY, interactions=1),
            usage_row(claimed, "cursor", DAY, interactions=2),
            usage_row(bobs, "copilot", DAY, interactions=3),
            usage_row(verified, "copilot", DAY - dt.timedelta(days=40), interactions=4),
        ],
    )
    with open_session(engine) as session:
        rows = queries.usage_rows_for_person(session, ada, DAY - dt.timedelta(days=27), DAY)
    assert [(row.tool, row.interactions) for row in rows] == [("copilot", 1)]


def test_sync_success_keeps_the_latest_complete_day(engine: Engine) -> None:
    at = dt.datetime(2026, 11, 25, 6, tzinfo=dt.UTC)
    with open_session(engine) as session:
        queries.record_sync_success(session, "cursor", at=at, complete_through=DAY)
        session.commit()
    with open_session(engine) as session:
        queries.record_sync_success(
            session, "cursor", at=at, complete_through=DAY - dt.timedelta(days=3)
        )
        session.commit()
        state = session.get(SyncState, "cursor")
    assert state is not None
    assert state.last_complete_day == DAY
    assert state.last_success_at == at


def test_deleting_a_person_unlinks_but_keeps_identity_usage(engine: Engine) -> None:
    person = make_person(engine)
    identity = make_identity(engine, tool="copilot", external_id="gone", person_id=person)
    add_usage(engine, [usage_row(identity, "copilot", DAY)])
    with engine.begin() as connection:
        connection.execute(sa.text("DELETE FROM person WHERE id = :id"), {"id": person})
    with open_session(engine) as session:
        row = session.get(Identity, identity)
        assert row is not None
        assert row.person_id is None
        assert queries.count_rows(session, DailyUsage) == 1
