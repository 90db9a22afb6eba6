"""Digest subscriptions are the person's data too: exported, and deleted by forget."""

from __future__ import annotations

import datetime as dt
import json

from sqlalchemy.engine import Engine

from bot.personal.export import as_json, personal_data
from bot.personal.forget import forget_person
from storage import queries
from storage.engine import session as open_session
from tests.factories import make_person


def test_digest_subscriptions_are_exported_and_forgotten(engine: Engine) -> None:
    person = make_person(engine, slack_user_id="U0SUB")
    with open_session(engine) as session:
        team = queries.upsert_teams(
            session, [{"slug": "payments", "name": "Payments", "parent_id": None}]
        )["payments"]
        queries.set_digest_subscription(session, team, "U0SUB", active=False)
        queries.set_digest_subscription(session, team, "C0CHANNEL", active=True)
        session.commit()
    document = json.loads(as_json(personal_data(engine, person)))
    assert [s["team_slug"] for s in document["digest_subscriptions"]] == ["payments"]
    assert document["digest_subscriptions"][0]["active"] is False

    forget_person(engine, person, actor="U0SUB", now=dt.datetime(2026, 11, 25, tzinfo=dt.UTC))
    with open_session(engine) as session:
        assert [row.recipient for row in queries.digest_subscriptions(session)] == ["C0CHANNEL"]
