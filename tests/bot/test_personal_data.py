"""A person's data: the export holds all of it and nothing else; forget leaves none of it."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import sqlalchemy as sa
from slack_sdk import WebClient
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

from bot.directory import sync_people
from bot.linking import unlink
from bot.personal.export import EXPORT_SECTIONS, SCHEMA, UnknownPerson, as_json, personal_data
from bot.personal.forget import FORGET_EXPLANATION, FORGOTTEN_ACTION, forget_person
from bot.personal.privacy import privacy_summary
from storage import audit as audit_log
from storage import queries
from storage.engine import session as open_session
from storage.models import AuditEntry, Identity, LinkMethod, Person, TipPreference
from tests.factories import add_usage, make_identity, make_person, usage_row
from tests.fakes.slack_api import FakeSlackAPI

NOW = dt.datetime(2026, 11, 25, 9, 30, tzinfo=dt.UTC)
DAY = dt.date(2026, 11, 20)
ADMIN = "UADMIN0001"
# Columns that only join rows together; every other column of a covered table is exported.
ROW_IDS = {"id", "person_id", "identity_id", "subject_person_id", "team_id"}
PERSON_KEYS = {"person_id", "identity_id", "subject_person_id"}


@dataclass(frozen=True)
class Someone:
    """One person's fixture data, and every string that identifies them."""

    person_id: int
    slack_user_id: str
    email: str
    name: str
    identity_ids: frozenset[int]
    identity_keys: frozenset[tuple[str, str]]
    copilot_identity_id: int
    copilot_login: str

    @property
    def needles(self) -> tuple[str, ...]:
        """Strings that must appear nowhere once the person is forgotten."""
        externals = {external for _, external in self.identity_keys}
        return (self.slack_user_id, self.email, self.name, *sorted(externals))


@dataclass(frozen=True)
class World:
    ada: Someone
    grace: Someone


def _build(engine: Engine, key: str, name: str, *, with_refused: bool) -> Someone:
    """A person with data in every table: identities on three tools, usage, teams, seat, …"""
    slack_id = f"U{key.upper():0<9}"
    email = f"{key}.mail@example.com"
    login = f"{key}-gh-login"
    openai_id = f"user-{key}-openai-1"
    person_id = make_person(engine, slack_user_id=slack_id, email=email, name=name)
    copilot = make_identity(engine, tool="copilot", external_id=login, person_id=person_id)
    claude = make_identity(
        engine,
        tool="claude_code",
        external_id=email,
        person_id=person_id,
        method=LinkMethod.EMAIL,
    )
    openai = make_identity(engine, tool="openai", external_id=openai_id, person_id=person_id)
    identity_ids = {copilot, claude, openai}
    keys = {("copilot", login), ("claude_code", email), ("openai", openai_id)}
    rows = [
        usage_row(copilot, "copilot", DAY, interactions=7, lines_accepted=40, features=["chat"]),
        usage_row(copilot, "copilot", DAY + dt.timedelta(days=1), interactions=3),
        usage_row(claude, "claude_code", DAY, input_tokens=12_000, cost_cents=31),
        usage_row(openai, "openai", DAY - dt.timedelta(days=3), chat_requests=4),
    ]
    if with_refused:
        # A Cursor account carrying their email that they unlinked: still about them.
        cursor = make_identity(engine, tool="cursor", external_id=email, person_id=person_id)
        unlink(engine, person_id, "cursor", actor=slack_id)
        identity_ids.add(cursor)
        keys.add(("cursor", email))
        rows.append(usage_row(cursor, "cursor", DAY, interactions=2))
    add_usage(engine, rows)
    with open_session(engine) as session:
        queries.set_identity_emails(session, {openai: email})
        teams = queries.upsert_teams(
            session,
            [
                {"slug": f"team-{key}", "name": f"Team {key}", "parent_id": None},
                {"slug": "shared-guild", "name": "Shared guild", "parent_id": None},
            ],
        )
        queries.add_memberships(
            session,
            [
                {"team_id": teams[f"team-{key}"], "person_id": person_id, "role": "member"},
                {"team_id": teams["shared-guild"], "person_id": person_id, "role": "manager"},
            ],
        )
        session.add(TipPreference(person_id=person_id, enabled=True, frequency="weekly"))
        queries.add_tip_delivery(
            session,
            {
                "person_id": person_id,
                "tip_id": f"tip-for-{key}",
                "library_version": "test",
                "period": "2026-W48",
                "reason": "getting_started",
                "scheduled_for": dt.datetime(2026, 11, 24, 10, tzinfo=dt.UTC),
                "outbox_key": f"nudge-{key}-1",
            },
        )
        queries.enqueue_message(
            session,
            key=f"nudge-{key}-1",
            kind="nudge",
            channel=slack_id,
            payload={"text": f"A tip for {name}"},
            person_id=person_id,
        )
        # Addressed by Slack id only: still a message to them.
        queries.enqueue_message(
            session,
            key=f"dm-{key}-2",
            kind="notice",
            channel=slack_id,
            payload={"text": "Your claim was approved"},
        )
        queries.audit(
            session,
            "admin.viewed_usage",
            actor=ADMIN,
            subject_person_id=person_id,
            detail={"window": "28d", "marker": f"audit-marker-{key}"},
            at=NOW - dt.timedelta(days=1),
        )
        session.commit()
    return Someone(
        person_id=person_id,
        slack_user_id=slack_id,
        email=email,
        name=name,
        identity_ids=frozenset(identity_ids),
        identity_keys=frozenset(keys),
        copilot_identity_id=copilot,
        copilot_login=login,
    )


def _share_vendor_team_and_seats(engine: Engine, people: list[Someone]) -> None:
    """Both people's Copilot accounts in one GitHub team, each with a seat."""
    with open_session(engine) as session:
        queries.replace_vendor_teams(
            session,
            "copilot",
            {"gh-compilers": "Compilers"},
            {"gh-compilers": {person.copilot_identity_id for person in people}},
        )
        queries.replace_seats(
            session,
            "copilot",
            [
                {
                    "external_id": person.copilot_login,
                    "assigned_at": NOW - dt.timedelta(days=90),
                    "last_activity_at": NOW - dt.timedelta(hours=5),
                    "pending_cancellation_date": None,
                    "plan": "business",
                    "synced_at": NOW,
                }
                for person in people
            ],
        )
        session.commit()


@pytest.fixture
def world(engine: Engine) -> World:
    ada = _build(engine, "ada", "Ada Lovelace", with_refused=True)
    grace = _build(engine, "grace", "Grace Hopper", with_refused=False)
    _share_vendor_team_and_seats(engine, [ada, grace])
    return World(ada=ada, grace=grace)


# A person's secret record key for the noise on team figures holds no data about them (it is
# 63 random bits); exporting it would only hand a secret of the disclosure method to whoever
# gets hold of the file. It is deleted with the person (foreign key, on delete cascade).
NOT_PERSONAL_DATA = frozenset({"disclosure_key"})
# The weekly rollup is computed wholly from `daily_usage`, which the export holds in full; it is
# deleted with the person's daily rows (forget) like every other table here.
DERIVED_FROM_EXPORTED = frozenset({"usage_week"})


def _person_tables() -> list[sa.Table]:
    """Every table that can hold data about a person, found by its columns."""
    return [
        table
        for table in SQLModel.metadata.sorted_tables
        if table.name not in NOT_PERSONAL_DATA
        and (
            table.name == "person"
            or PERSON_KEYS & set(table.c.keys())
            or {"tool", "external_id"} <= set(table.c.keys())
        )
    ]


def _about(table: sa.Table, someone: Someone) -> sa.ColumnElement[bool]:
    """Rows of `table` about `someone`, by whichever keys the table has."""
    clauses: list[sa.ColumnElement[bool]] = []
    if table.name == "person":
        clauses.append(table.c.id == someone.person_id)
    if table.name == "identity":
        clauses.append(table.c.id.in_(someone.identity_ids))
    for name in ("person_id", "subject_person_id"):
        if name in table.c:
            clauses.append(table.c[name] == someone.person_id)
    if "identity_id" in table.c:
        clauses.append(table.c.identity_id.in_(someone.identity_ids))
    if {"tool", "external_id"} <= set(table.c.keys()):
        clauses.append(
            sa.tuple_(table.c.tool, table.c.external_id).in_(sorted(someone.identity_keys))
        )
    if "channel" in table.c:
        clauses.append(table.c.channel == someone.slack_user_id)
    assert clauses, f"no way to find rows about a person in {table.name}"
    return sa.or_(*clauses)


def _count_about(engine: Engine, table: sa.Table, someone: Someone) -> int:
    with engine.connect() as connection:
        return int(
            connection.execute(
                sa.select(sa.func.count()).select_from(table).where(_about(table, someone))
            ).scalar_one()
        )


def _stored_text(engine: Engine) -> Iterator[tuple[str, str, str]]:
    """(table, column, text) for every text or JSON value stored anywhere."""
    with engine.connect() as connection:
        for table in SQLModel.metadata.sorted_tables:
            for row in connection.execute(sa.select(table)).mappings():
                for column, value in row.items():
                    if isinstance(value, str):
                        yield table.name, column, value
                    elif isinstance(value, dict | list):
                        yield table.name, column, json.dumps(value)


def _export(engine: Engine, person_id: int) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(as_json(personal_data(engine, person_id)))
    return document


def _section_rows(document: dict[str, Any], table: str) -> list[dict[str, Any]]:
    section = document[EXPORT_SECTIONS[table]]
    if section is None:
        return []
    return section if isinstance(section, list) else [section]


# -- export ------------------------------------------------------------------------------------


def test_every_table_that_can_hold_personal_data_is_exported_in_full(
    engine: Engine, world: World
) -> None:
    document = _export(engine, world.ada.person_id)

    tables = _person_tables()
    assert {table.name for table in tables} >= {"person", "identity", "daily_usage", "seat"}
    for table in tables:
        if table.name in DERIVED_FROM_EXPORTED:
            continue
        assert table.name in EXPORT_SECTIONS, f"{table.name} can hold personal data: export it"
        rows = _section_rows(document, table.name)
        stored = _count_about(engine, table, world.ada)
        assert stored > 0, f"the fixture should put data about the person in {table.name}"
        assert len(rows) == stored, table.name
        for row in rows:
            missing = set(table.c.keys()) - ROW_IDS - set(row)
            assert not missing, f"{table.name} columns missing from the export: {missing}"


def test_export_holds_each_table_s_rows(engine: Engine, world: World) -> None:
    ada = world.ada
    document = _export(engine, ada.person_id)

    assert document["schema"] == SCHEMA
    assert document["person"]["slack_user_id"] == ada.slack_user_id
    assert document["person"]["email"] == ada.email
    assert document["person"]["display_name"] == "Ada Lovelace"
    assert {(i["tool"], i["external_id"], i["link_method"]) for i in document["identities"]} == {
        ("copilot", "ada-gh-login", "admin"),
        ("claude_code", ada.email, "email"),
        ("openai", "user-ada-openai-1", "admin"),
        ("cursor", ada.email, "refused"),
    }
    usage = {(row["tool"], row["day"]): row for row in document["daily_usage"]}
    assert usage[("copilot", "2026-11-20")]["lines_accepted"] == 40
    assert usage[("copilot", "2026-11-20")]["features"] == ["chat"]
    assert usage[("claude_code", "2026-11-20")]["input_tokens"] == 12_000
    assert usage[("claude_code", "2026-11-20")]["cost_cents"] == 31
    assert usage[("cursor", "2026-11-20")]["external_id"] == ada.email
    assert len(usage) == 5
    assert [(t["slug"], t["role"]) for t in document["teams"]] == [
        ("shared-guild", "manager"),
        ("team-ada", "member"),
    ]
    assert [(t["slug"], t["external_id"]) for t in document["vendor_teams"]] == [
        ("gh-compilers", "ada-gh-login")
    ]
    [seat] = document["seats"]
    assert (seat["external_id"], seat["plan"]) == ("ada-gh-login", "business")
    assert seat["assigned_at"] == "2026-08-27T09:30:00+00:00"
    assert document["tip_preference"]["enabled"] is True
    assert {m["kind"]: m["payload"]["text"] for m in document["outbox"]} == {
        "nudge": "A tip for Ada Lovelace",
        "notice": "Your claim was approved",
    }
    audit = {a["action"]: a for a in document["audit_log"]}
    assert set(audit) == {"admin.viewed_usage", "identity.unlinked"}
    assert audit["admin.viewed_usage"]["actor_slack_user_id"] == ADMIN
    assert audit["admin.viewed_usage"]["detail"]["marker"] == "audit-marker-ada"
    ats = [a["at"] for a in document["audit_log"]]
    assert ats == sorted(ats, reverse=True)


def test_export_holds_nothing_about_someone_else(engine: Engine, world: World) -> None:
    text = as_json(personal_data(engine, world.ada.person_id)).lower()

    for needle in (*world.grace.needles, "audit-marker-grace", "team-grace"):
        assert needle.lower() not in text


def test_json_is_valid_sorted_and_stable(engine: Engine, world: World) -> None:
    first = as_json(personal_data(engine, world.ada.person_id), generated_at=NOW)
    second = as_json(personal_data(engine, world.ada.person_id), generated_at=NOW)
    later = as_json(personal_data(engine, world.ada.person_id))

    assert first == second
    document = json.loads(first)
    assert document["generated_at"] == "2026-11-25T09:30:00+00:00"
    assert json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) == first
    assert {k: v for k, v in json.loads(later).items() if k != "generated_at"} == {
        k: v for k, v in document.items() if k != "generated_at"
    }


def test_an_unknown_person_has_no_export(engine: Engine) -> None:
    with pytest.raises(UnknownPerson):
        personal_data(engine, 424242)


# -- forget ------------------------------------------------------------------------------------


def test_forget_leaves_nothing_about_them_anywhere(engine: Engine, world: World) -> None:
    grace_before = personal_data(engine, world.grace.person_id)

    result = forget_person(engine, world.ada.person_id, actor=ADMIN, now=NOW)

    assert result.forgotten
    for table in _person_tables():
        assert _count_about(engine, table, world.ada) == 0, table.name
        if table.name in result.deleted:
            assert result.deleted[table.name] > 0, table.name
    for table_name, column, text in _stored_text(engine):
        for needle in world.ada.needles:
            assert needle.lower() not in text.lower(), f"{needle!r} left in {table_name}.{column}"
    assert personal_data(engine, world.grace.person_id) == grace_before


def test_forget_writes_one_anonymous_audit_entry(engine: Engine, world: World) -> None:
    result = forget_person(engine, world.ada.person_id, actor=ADMIN, now=NOW)

    with open_session(engine) as session:
        [entry] = queries.audit_entries(session, action=FORGOTTEN_ACTION)
    assert entry.subject_person_id is None
    assert entry.actor_slack_user_id == ADMIN
    assert entry.at == NOW
    assert entry.detail == {"requested_by": "admin", "deleted": dict(result.deleted)}
    assert all(isinstance(count, int) for count in entry.detail["deleted"].values())
    assert result.deleted["daily_usage"] == 5
    assert result.deleted["identity"] == 4
    assert result.deleted["audit_log"] == 2


def test_forgetting_yourself_leaves_no_actor_id(engine: Engine, world: World) -> None:
    forget_person(engine, world.ada.person_id, actor=world.ada.slack_user_id, now=NOW)

    with open_session(engine) as session:
        [entry] = queries.audit_entries(session, action=FORGOTTEN_ACTION)
    assert entry.actor_slack_user_id is None
    assert entry.detail["requested_by"] == "self"


def test_forgetting_twice_or_an_unknown_id_is_harmless(engine: Engine, world: World) -> None:
    forget_person(engine, world.ada.person_id, actor=ADMIN, now=NOW)
    grace_before = personal_data(engine, world.grace.person_id)

    again = forget_person(engine, world.ada.person_id, actor=ADMIN, now=NOW)
    unknown = forget_person(engine, 424242, actor=ADMIN, now=NOW)

    assert not again.forgotten and again.total == 0
    assert not unknown.forgotten and unknown.total == 0
    with open_session(engine) as session:
        assert len(queries.audit_entries(session, action=FORGOTTEN_ACTION)) == 1
    assert personal_data(engine, world.grace.person_id) == grace_before


def test_forget_is_one_transaction(
    engine: Engine, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = personal_data(engine, world.ada.person_id)

    def broken_audit(*args: object, **kwargs: object) -> None:
        raise RuntimeError("audit log unavailable")

    monkeypatch.setattr(audit_log, "audit", broken_audit)
    with pytest.raises(RuntimeError):
        forget_person(engine, world.ada.person_id, actor=ADMIN, now=NOW)

    assert personal_data(engine, world.ada.person_id) == before


def test_an_admins_looks_at_other_people_stay_in_their_audit_logs(
    engine: Engine, world: World
) -> None:
    with open_session(engine) as session:
        queries.audit(
            session,
            "admin.viewed_usage",
            actor=world.ada.slack_user_id,
            subject_person_id=world.grace.person_id,
            at=NOW,
        )
        session.commit()

    forget_person(engine, world.ada.person_id, actor=world.ada.slack_user_id, now=NOW)

    grace_log = personal_data(engine, world.grace.person_id).audit_log
    assert [entry.actor_slack_user_id for entry in grace_log] == [world.ada.slack_user_id, ADMIN]


def test_after_forget_the_next_sync_starts_again_from_zero(engine: Engine, world: World) -> None:
    forget_person(engine, world.ada.person_id, actor=world.ada.slack_user_id, now=NOW)

    with FakeSlackAPI() as fake:
        fake.add_user(world.ada.slack_user_id, email=world.ada.email)
        sync_people(engine, WebClient(token="xoxb-test", base_url=fake.url))
    fresh = make_identity(engine, tool="cursor", external_id=world.ada.email)
    with open_session(engine) as session:
        new_ada = queries.person_by_slack_id(session, world.ada.slack_user_id)
        assert new_ada is not None and new_ada.id is not None
        queries.link_identities_to_known_people(session, [fresh])
        session.commit()

    document = _export(engine, new_ada.id)
    assert [i["tool"] for i in document["identities"]] == ["cursor"]
    assert document["daily_usage"] == []
    assert document["tip_preference"] is None
    assert document["audit_log"] == []


# -- privacy summary ---------------------------------------------------------------------------


def test_privacy_summary_counts_what_is_stored(engine: Engine, world: World) -> None:
    with open_session(engine) as session:
        for n in range(60):
            queries.audit(
                session,
                "admin.viewed_usage",
                actor=ADMIN,
                subject_person_id=world.ada.person_id,
                at=NOW - dt.timedelta(days=30, minutes=n),
            )
        session.commit()

    summary = privacy_summary(engine, world.ada.person_id, min_group_size=7, retention_days=365)

    assert summary.identities == 4
    assert summary.usage_rows == 5
    assert (summary.first_usage_day, summary.last_usage_day) == (
        dt.date(2026, 11, 17),
        dt.date(2026, 11, 21),
    )
    assert summary.teams == 3  # team-ada, shared-guild, gh-compilers
    assert summary.tips_enabled
    assert len(summary.audit_entries) == 50
    ats = [entry.at for entry in summary.audit_entries]
    assert ats == sorted(ats, reverse=True)
    statements = " ".join(summary.who_sees_what)
    assert "at least 7 people" in statements
    assert "365 days" in statements
    assert "never your prompts" in statements


def test_privacy_summary_of_someone_with_nothing_stored(engine: Engine) -> None:
    person_id = make_person(engine)

    summary = privacy_summary(engine, person_id, min_group_size=5, retention_days=400)

    assert (summary.identities, summary.usage_rows, summary.teams) == (0, 0, 0)
    assert summary.first_usage_day is None and not summary.tips_enabled
    assert summary.audit_entries == ()


def test_the_user_facing_words_fit_in_slack() -> None:
    assert len(FORGET_EXPLANATION) < 1500
    assert "*" in FORGET_EXPLANATION  # mrkdwn, not Markdown headings
    assert "#" not in FORGET_EXPLANATION


def test_models_used_here_are_the_tables_introspection_finds() -> None:
    # Guards the introspection itself: if it found nothing, the coverage test would pass vacuously.
    names = {table.name for table in _person_tables()}
    for model in (Person, Identity, AuditEntry, TipPreference):
        assert model.__tablename__ in names
