"""Attack: an employee makes a Slack user group that is an org team plus one person.

Any employee can create a Slack user group. If every group became a team, the employee could
ask `/teamusage` about their own org team and about the group, and the difference between the
two answers would be the one extra person's figures. A synced group is therefore not a team
until an admin allows it.
"""

from __future__ import annotations

import datetime as dt
import re

from slack_sdk import WebClient
from sqlalchemy.engine import Engine

from bot.figures.publish import publish_releases
from bot.jobs import sync_directory
from storage import queries
from storage.engine import session as open_session
from storage.models import utcnow
from tests.factories import add_usage, make_identity, make_person, usage_row
from tests.fakes.slack_api import FakeSlackAPI
from tests.handlers.conftest import RunningApp
from tests.privacy.conftest import ADMIN, ask

EMPLOYEE = "U0PAY00"  # an ordinary member of the org team
OUTSIDER = "U0OUTSIDER"  # not in the org team: the person the attack is after
ACTIVE = re.compile(r"Active:\*? ~?(\d+) of (\d+) people")


def active_on(engine: Engine, slack_user_id: str, days: int) -> int:
    """A person with Copilot use on each of the last `days` days."""
    person = make_person(engine, slack_user_id=slack_user_id)
    identity = make_identity(
        engine, tool="copilot", external_id=f"gh-{slack_user_id.lower()}", person_id=person
    )
    today = utcnow().date()
    add_usage(
        engine,
        [
            usage_row(identity, "copilot", today - dt.timedelta(days=d), generations=10)
            for d in range(days)
        ],
    )
    return person


def org_team_of_ten(engine: Engine) -> list[str]:
    """The org-file team `payments`: 5 people active every day, 5 never (k = 5 shows both)."""
    members = [f"U0PAY{n:02d}" for n in range(10)]
    ids = [active_on(engine, member, 20 if n < 5 else 0) for n, member in enumerate(members)]
    with open_session(engine) as session:
        team = queries.upsert_teams(
            session, [{"slug": "payments", "name": "Payments", "source": "org_file"}]
        )["payments"]
        queries.add_memberships(
            session, [{"team_id": team, "person_id": p, "role": "member"} for p in ids]
        )
        session.commit()
    return members


def employee_creates_user_group(fake: FakeSlackAPI, handle: str, members: list[str]) -> None:
    """What Slack reports once anyone has created the group (no admin involved)."""
    fake.set_response(
        "usergroups.list",
        {"ok": True, "usergroups": [{"id": "S0PLUS", "handle": handle, "name": "Payments+"}]},
    )
    fake.set_response("usergroups.users.list", {"ok": True, "users": members})


def leaked(team_answer: str, group_answer: str) -> str | None:
    """What subtracting the two answers says about the extra person, if both show figures."""
    team, group = ACTIVE.search(team_answer), ACTIVE.search(group_answer)
    if team is None or group is None:
        return None
    extra_active = int(group[1]) - int(team[1])
    extra_people = int(group[2]) - int(team[2])
    return f"{extra_active} of the {extra_people} person(s) added to the org team was active"


def test_a_user_group_one_person_larger_than_an_org_team_is_no_team(app: RunningApp) -> None:
    members = org_team_of_ten(app.engine)
    active_on(app.engine, OUTSIDER, 20)
    employee_creates_user_group(app.fake, "payments-plus", [*members, OUTSIDER])
    # the clock's daily directory job picks the group up
    client = WebClient(token="xoxb-test-token", base_url=app.fake.url)
    sync_directory(engine=app.engine, client=client, settings=app.settings)
    publish_releases(engine=app.engine, settings=app.settings, now=utcnow())

    team_answer = ask(app, "payments", EMPLOYEE, "/teamusage")
    group_answer = ask(app, "payments-plus", EMPLOYEE, "/teamusage")

    assert "Active:" in team_answer  # the org team is a team, with figures
    leak = leaked(team_answer, group_answer)
    assert leak is None, f"subtracting the org team from the user group gives away: {leak}"
    assert "I can't show you `payments-plus`" in group_answer
    assert "payments-plus" not in ask(app, "", EMPLOYEE, "/teamusage")

    # An admin who allows the group makes it a team: that is their decision to take.
    assert "is now a team" in ask(app, "teams allow payments-plus", ADMIN, "/uptake-admin")
    assert "I can't show you" not in ask(app, "payments-plus", EMPLOYEE, "/teamusage")
    publish_releases(engine=app.engine, settings=app.settings, now=utcnow())
    assert "Active:" in ask(app, "payments-plus", EMPLOYEE, "/teamusage")
