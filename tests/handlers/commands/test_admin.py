"""`/uptake-admin`: teams, managers, policy, seats and status, every use audited."""

from __future__ import annotations

import datetime as dt

import httpx
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from bot.figures.disclosure import Rules, count_of
from storage import queries
from storage import releases as release_store
from storage.engine import session as open_session
from storage.models import AuditEntry, utcnow
from tests.conftest import make_settings
from tests.factories import make_identity, make_person
from tests.fakes.slack_api import FakeSlackAPI
from tests.handlers.commands.test_linking import ADMIN, answer, app_with_admin
from tests.handlers.conftest import SIGNING_SECRET, RunningApp, start_web_app
from tests.releases import release_now

__all__ = ["app_with_admin"]  # the fixture, imported for pytest


def admin(app: RunningApp, text: str) -> str:
    return answer(app, text, ADMIN, "/uptake-admin")


def audit(app: RunningApp) -> list[tuple[str, int | None]]:
    with app.engine.connect() as connection:
        return [
            (action, subject)
            for action, subject in connection.execute(
                sa.select(AuditEntry.action, AuditEntry.subject_person_id).order_by(AuditEntry.id)
            )
        ]


def make_team(app: RunningApp, slug: str, members: list[str]) -> int:
    with open_session(app.engine) as session:
        team_id = queries.upsert_teams(
            session, [{"slug": slug, "name": slug.title(), "parent_id": None, "source": "org_file"}]
        )[slug]
        ids = queries.upsert_people(session, [{"slack_user_id": m} for m in members])
        queries.add_memberships(
            session, [{"team_id": team_id, "person_id": ids[m], "role": "member"} for m in members]
        )
        session.commit()
    return team_id


def test_teams_team_and_manager_changes(app_with_admin: RunningApp) -> None:
    app = app_with_admin
    make_team(app, "payments", [f"U0P{n}" for n in range(6)])
    release_now(app.engine, utcnow())
    assert "`payments` — Payments (org_file, 6 people)" in admin(app, "teams")

    assert "<@U0MGR> now manages `payments`" in admin(app, "manager add payments <@U0MGR|mgr>")
    assert "already manages" in admin(app, "manager add payments <@U0MGR>")
    assert "*Managers:* <@U0MGR>" in admin(app, "team payments")
    # the new manager can now see the team
    text = answer(app, "payments", "U0MGR", "/teamusage")
    assert "People in scope:* 6" in text
    assert "no longer manages" in admin(app, "manager remove payments <@U0MGR>")
    assert "I can't show you" in answer(app, "payments", "U0MGR", "/teamusage")

    actions = [action for action, _ in audit(app)]
    assert actions.count("team.manager_added") == 2 and "team.manager_removed" in actions
    assert "admin.teams" in actions and "admin.team" in actions


def test_policy_shows_the_thresholds_in_force(app_with_admin: RunningApp) -> None:
    text = admin(app_with_admin, "policy")
    assert "Minimum group size (k):* 5" in text
    assert "400 days" in text and "light 1–5" in text


def test_seat_list_names_seats_only_and_audits_each_person(app_with_admin: RunningApp) -> None:
    app = app_with_admin
    now = utcnow()
    owner = make_person(app.engine, slack_user_id="U0SEAT", name="Seat Holder")
    make_identity(app.engine, tool="copilot", external_id="idle-dev", person_id=owner)
    with open_session(app.engine) as session:
        queries.replace_seats(
            session,
            "copilot",
            [
                {
                    "external_id": "idle-dev",
                    "assigned_at": now - dt.timedelta(days=90),
                    "last_activity_at": now - dt.timedelta(days=40),
                    "pending_cancellation_date": None,
                    "plan": "business",
                    "synced_at": now,
                },
                {
                    "external_id": "never-used",
                    "assigned_at": now - dt.timedelta(days=10),
                    "last_activity_at": None,
                    "pending_cancellation_date": None,
                    "plan": "business",
                    "synced_at": now,
                },
                {
                    "external_id": "busy-dev",
                    "assigned_at": now - dt.timedelta(days=90),
                    "last_activity_at": now - dt.timedelta(days=1),
                    "pending_cancellation_date": None,
                    "plan": "business",
                    "synced_at": now,
                },
            ],
        )
        session.commit()
    text = admin(app, "seats")
    assert "Unused Copilot seats: 2 of 3" in text
    assert "seat `idle-dev`: unused 28+ days\n• seat `never-used`: unused 28+ days" in text
    assert "40" not in text  # no per-seat day counts (tests/privacy/test_seat_list.py)
    assert "busy-dev" not in text and "Seat Holder" not in text
    assert ("admin.viewed_person", owner) in audit(app)
    # the seat holder sees that look in their own privacy view
    assert "an admin looked at your data" in answer(app, "privacy", "U0SEAT")


def test_status_shows_sources_and_counts(app_with_admin: RunningApp) -> None:
    text = admin(app_with_admin, "status")
    assert "Usage sources" in text and "people:" in text and "daily rows:" in text


def test_tip_figures_are_per_tip_never_per_person(app_with_admin: RunningApp) -> None:
    app = app_with_admin
    now = utcnow()
    people = []
    with open_session(app.engine) as session:
        for n in range(7):
            person = queries.upsert_people(session, [{"slack_user_id": f"U0TIP{n}"}])[f"U0TIP{n}"]
            people.append(person)
            for tip_id in ("popular-tip", *(["rare-tip"] if n < 2 else [])):
                key = f"tip:{person}:{tip_id}"
                queries.add_tip_delivery(
                    session,
                    {
                        "person_id": person,
                        "tip_id": tip_id,
                        "library_version": "t",
                        "period": "2026-W48",
                        "scheduled_for": now,
                        "outbox_key": key,
                    },
                )
                queries.enqueue_message(
                    session,
                    key=key,
                    kind="tip",
                    channel=f"U0TIP{n}",
                    payload={"text": "tip"},
                    person_id=person,
                )
        session.commit()
    with app.engine.begin() as connection:
        connection.execute(sa.text("UPDATE outbox SET state = 'sent'"))
        connection.execute(
            sa.text(
                "UPDATE tip_delivery SET feedback = 'helpful' WHERE tip_id = 'popular-tip' "
                "AND person_id IN (SELECT id FROM person WHERE slack_user_id < 'U0TIP5')"
            )
        )
    text = admin(app, "tips")
    # 5 of 7 found it helpful: shown, but perturbed like every count, so it does not tell
    # whether the 2 who did not react are exactly the rest
    helpful, not_for_me, stopped = tip_counts(app, people[:5], sent=7)
    assert (
        f"`popular-tip`: sent 7 · helpful ~{helpful} · not for me ~{not_for_me} · "
        f"stopped ~{stopped}"
    ) in text
    assert "`rare-tip`: sent to fewer than 5 people, figures hidden" in text
    assert "U0TIP" not in text


def tip_counts(app: RunningApp, helpful: list[int], *, sent: int) -> tuple[int, int, int]:
    """The released helpful, not-for-me and stopped counts of a tip sent to `sent` people."""
    rules = Rules(k=app.settings.min_group_size, epsilon=app.settings.disclosure_epsilon)

    def no_new_key() -> int:
        raise AssertionError("the tips view gives everyone it counts a record key")

    with open_session(app.engine) as session:
        keys = release_store.record_keys(session, helpful, no_new_key)
    counts = (
        count_of(helpful, keys, ceiling=sent, rules=rules),
        count_of([], keys, ceiling=sent, rules=rules),
        count_of([], keys, ceiling=sent, rules=rules),
    )
    assert all(0 <= count <= sent for count in counts)
    return counts


def test_admins_add_a_digest_channel(app_with_admin: RunningApp) -> None:
    app = app_with_admin
    make_team(app, "payments", [f"U0P{n}" for n in range(6)])
    text = admin(app, "digest-channel payments <#C0PAY|payments-leads>")
    assert "<#C0PAY> will get the weekly digest for `payments`" in text
    with open_session(app.engine) as session:
        [row] = queries.digest_subscriptions(session)
    assert (row.recipient, row.active) == ("C0PAY", True)
    assert "will no longer get" in admin(app, "no-digest-channel payments C0PAY")


def test_members_of_the_admin_user_group_are_admins(
    fake_slack: FakeSlackAPI, engine: Engine, database_url: str
) -> None:
    settings = make_settings(
        database_url=database_url,
        slack_bot_token="xoxb-test-token",
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=fake_slack.url,
        admin_user_group="@uptake-admins",
    )
    with open_session(engine) as session:
        team = queries.upsert_teams(
            session,
            [
                {
                    "slug": "slack:uptake-admins",
                    "name": "Uptake admins",
                    "parent_id": None,
                    "source": "slack",
                }
            ],
        )["slack:uptake-admins"]
        ids = queries.upsert_people(session, [{"slack_user_id": "U0GROUPADMIN"}])
        queries.add_memberships(
            session, [{"team_id": team, "person_id": ids["U0GROUPADMIN"], "role": "member"}]
        )
        session.commit()
    server = start_web_app(settings, engine)
    try:
        with httpx.Client(timeout=10) as http:
            app = RunningApp(server.base_url, fake_slack, engine, settings, http)
            assert "Minimum group size" in answer(app, "policy", "U0GROUPADMIN", "/uptake-admin")
            assert "Only Uptake admins" in answer(app, "policy", "U0SOMEONE", "/uptake-admin")
    finally:
        server.stop()
