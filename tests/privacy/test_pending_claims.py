"""A pending claim is a claim, not an account: the claimer gets none of the account's data.

The attacker, Mallory, claims a GitHub login that is not hers (`/myusage link github LOGIN`)
and, before any admin decides, uses every surface of her own data on it: the export, the
privacy summary, her audit log (an admin's look at the seat) and `forget`.
"""

from __future__ import annotations

import datetime as dt
import json

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import col

from bot.blocks.ids import FORGET_CONFIRM
from bot.blocks.privacy import ACTIONS
from storage import queries
from storage.engine import session as open_session
from storage.models import DailyUsage, Identity, Person, Seat, VendorTeamMember, utcnow
from tests.factories import add_usage, make_identity, make_person, usage_row
from tests.handlers.conftest import RunningApp
from tests.privacy.conftest import ADMIN, ask, audit_log

MALLORY = "U0MALLORY"
LOGIN = "octo-victim"
MARKER_LINES = 918_273
MARKER_PLAN = "victims-plan"


def someone_elses_account(engine: Engine) -> int:
    """A GitHub account synced but not linked yet: usage on three days, a seat, a team."""
    identity = make_identity(engine, tool="copilot", external_id=LOGIN)
    today = utcnow().date()
    add_usage(
        engine,
        [
            usage_row(
                identity, "copilot", today - dt.timedelta(days=d), lines_accepted=MARKER_LINES
            )
            for d in range(1, 4)
        ],
    )
    now = utcnow()
    with open_session(engine) as session:
        queries.replace_seats(
            session,
            "copilot",
            [
                {
                    "external_id": LOGIN,
                    "assigned_at": now - dt.timedelta(days=200),
                    "last_activity_at": now - dt.timedelta(days=45),
                    "pending_cancellation_date": None,
                    "plan": MARKER_PLAN,
                    "synced_at": now,
                }
            ],
        )
        queries.replace_vendor_teams(
            session, "copilot", {"gh-skunkworks": "Skunkworks"}, {"gh-skunkworks": {identity}}
        )
        session.commit()
    return identity


def claim_it(app: RunningApp) -> None:
    make_person(app.engine, slack_user_id=MALLORY, email="mallory@example.com")
    assert "waiting for an Uptake admin" in ask(app, f"link github {LOGIN}", MALLORY)


def test_the_export_holds_the_claim_and_none_of_the_accounts_data(app: RunningApp) -> None:
    someone_elses_account(app.engine)
    claim_it(app)

    ask(app, "export", MALLORY)

    [content] = app.fake.uploaded_files.values()
    document = json.loads(content)
    assert document["pending_claims"] == [{"tool": "copilot", "external_id": LOGIN}]
    assert [i["external_id"] for i in document["identities"]] == []
    assert document["daily_usage"] == []
    assert document["seats"] == []
    assert document["vendor_teams"] == []
    assert str(MARKER_LINES) not in content.decode()
    assert MARKER_PLAN not in content.decode()


def test_the_privacy_summary_counts_the_claim_as_a_claim(app: RunningApp) -> None:
    someone_elses_account(app.engine)
    claim_it(app)

    text = ask(app, "privacy", MALLORY)

    assert "0 linked tool account(s)" in text
    assert "1 claim(s) waiting for an admin" in text
    assert "0 daily usage row(s), none yet" in text
    assert "0 team membership(s)" in text


def test_an_admins_look_at_the_seat_is_not_written_to_the_claimers_log(app: RunningApp) -> None:
    someone_elses_account(app.engine)
    claim_it(app)

    seats = ask(app, "seats", ADMIN, "/uptake-admin")
    assert f"`{LOGIN}`" in seats

    with open_session(app.engine) as session:
        mallory = queries.person_by_slack_id(session, MALLORY)
        assert mallory is not None
    looks = [entry for entry in audit_log(app.engine) if entry[0] == "admin.viewed_person"]
    assert all(subject != mallory.id for _, _, subject, _ in looks)
    assert ACTIONS["admin.viewed_person"] not in ask(app, "privacy", MALLORY)


def test_forget_withdraws_the_claim_and_keeps_the_accounts_data(app: RunningApp) -> None:
    identity = someone_elses_account(app.engine)
    claim_it(app)

    done = app.fake.wait_for(app.click(FORGET_CONFIRM, "forget", user_id=MALLORY))

    assert "deleted everything" in json.dumps(done.body)
    with app.engine.connect() as connection:
        people = connection.execute(sa.select(col(Person.slack_user_id))).scalars().all()
        account = connection.execute(
            sa.select(
                col(Identity.person_id), col(Identity.link_method), col(Identity.verified)
            ).where(col(Identity.id) == identity)
        ).one()
        usage = connection.execute(
            sa.select(sa.func.count())
            .select_from(DailyUsage)
            .where(col(DailyUsage.identity_id) == identity)
        ).scalar_one()
        seats = connection.execute(sa.select(sa.func.count()).select_from(Seat)).scalar_one()
        teams = connection.execute(
            sa.select(sa.func.count()).select_from(VendorTeamMember)
        ).scalar_one()
    assert MALLORY not in people
    assert tuple(account) == (None, None, False)
    assert (usage, seats, teams) == (3, 1, 1)
