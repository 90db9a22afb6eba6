"""`/teamusage NAME` resolves names among the caller's own teams only, so no answer (message,
or which team a name lands on) depends on whether a team the caller may not see exists."""

from __future__ import annotations

import re

from storage import queries
from storage.engine import session as open_session
from tests.handlers.conftest import RunningApp
from tests.privacy.conftest import ask

MEMBER = "U0MEMBER"


def team(app: RunningApp, slug: str, name: str, members: list[str]) -> None:
    with open_session(app.engine) as session:
        team_id = queries.upsert_teams(
            session, [{"slug": slug, "name": name, "parent_id": None, "source": "org_file"}]
        )[slug]
        ids = queries.upsert_people(session, [{"slack_user_id": m} for m in members])
        queries.add_memberships(
            session, [{"team_id": team_id, "person_id": ids[m], "role": "member"} for m in members]
        )
        session.commit()


def answer(app: RunningApp, text: str) -> str:
    return re.sub(r"\d+h ago", "…", ask(app, text, MEMBER, "/teamusage"))


def test_a_hidden_teams_slug_does_not_shadow_the_callers_team_of_that_name(
    app: RunningApp,
) -> None:
    team(app, "payments-platform", "Platform", [MEMBER, *(f"U0PP{n}" for n in range(5))])
    before = answer(app, "platform")
    assert "*Platform*" in before and "can't show you" not in before

    # A team the caller may not see, whose slug is exactly the word they type.
    team(app, "platform", "Skunkworks", [f"U0SK{n}" for n in range(6)])

    assert answer(app, "platform") == before


def test_a_hidden_team_and_a_missing_team_get_the_same_answer(app: RunningApp) -> None:
    team(app, "payments", "Payments", [MEMBER, *(f"U0PP{n}" for n in range(5))])
    team(app, "skunkworks", "Skunkworks", [f"U0SK{n}" for n in range(6)])

    hidden = answer(app, "skunkworks")
    missing = answer(app, "skunkwerks")

    assert hidden == missing.replace("skunkwerks", "skunkworks")
    for verb in ("subscribe", "unsubscribe", "digest"):
        hidden = answer(app, f"{verb} skunkworks")
        assert hidden == answer(app, f"{verb} skunkwerks").replace("skunkwerks", "skunkworks")
