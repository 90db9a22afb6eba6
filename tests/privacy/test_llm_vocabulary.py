"""Only known tool labels and feature names reach an LLM: a word from an imported usage file
(an in-house tool's slug, a feature name) is sent as "another tool" / "another feature"."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from bot.adoption import TierThresholds
from bot.digests.narrative import OpenAINarrative
from bot.digests.service import build_digest, digest_week
from bot.figures.disclosure import Rules
from bot.figures.releases import compute_releases
from bot.importer import import_usage
from bot.teams import load_teams
from bot.tips.library import default_library
from bot.tips.llm import OpenAITipWriter
from bot.tips.service import plan_tip_for
from storage import queries
from storage.engine import session as open_session
from storage.models import utcnow
from tests.factories import make_person
from tests.fakes.openai_chat import API_KEY, FakeOpenAIChat
from tests.fakes.vendor_http import FakeVendorAPI

SECRET_WORDS = ("falcon", "launch")


@pytest.fixture
def chat() -> Iterator[FakeOpenAIChat]:
    with FakeVendorAPI() as api:
        fake = FakeOpenAIChat(api)
        fake.content = "Nice work this week."
        yield fake


def import_file(engine: Engine, tmp_path: Path, people: list[str], last_day: dt.date) -> None:
    """Two days of an in-house tool and of Copilot each, as an admin's usage file has them."""
    lines = ["slack_user_id,tool,date,generations,acceptances,features"]
    for slack_id in people:
        for day in (last_day - dt.timedelta(days=1), last_day):
            lines.append(f"{slack_id},project_falcon,{day},10,2,falcon-launch-plan")
            lines.append(f"{slack_id},copilot,{day},20,4,code_completion")
    path = tmp_path / "usage.csv"
    path.write_text("\n".join(lines) + "\n")
    import_usage(engine, path)


def sent(chat: FakeOpenAIChat) -> str:
    [request] = chat.calls()
    return request.raw_body.decode()


def test_a_tip_rewording_sees_no_imported_tool_or_feature_word(
    engine: Engine, tmp_path: Path, chat: FakeOpenAIChat
) -> None:
    person = make_person(engine, slack_user_id="U0LIGHT")
    import_file(engine, tmp_path, ["U0LIGHT"], utcnow().date() - dt.timedelta(days=1))

    with OpenAITipWriter(API_KEY, chat.base_url, "gpt-4.1-mini", timeout=2) as writer:
        planned = plan_tip_for(
            engine,
            person_id=person,
            slack_user_id="U0LIGHT",
            tz="UTC",
            library=default_library(),
            writer=writer,
            thresholds=TierThresholds(),
            now=utcnow(),
            immediately=True,
        )

    assert planned is not None
    body = sent(chat)
    assert not [word for word in SECRET_WORDS if word in body.lower()]
    assert "another tool" in body and "another feature" in body
    assert "GitHub Copilot" in body and "code completion" in body


def test_a_digest_narrative_sees_no_imported_tool_word(
    engine: Engine, tmp_path: Path, chat: FakeOpenAIChat
) -> None:
    people = [f"U0FAL{n}" for n in range(6)]
    ids = [make_person(engine, slack_user_id=slack_id) for slack_id in people]
    now = utcnow()
    week = digest_week(now, "UTC")
    import_file(engine, tmp_path, people, week.end)
    with open_session(engine) as session:
        team = queries.upsert_teams(
            session,
            [{"slug": "payments", "name": "Payments", "parent_id": None, "source": "org_file"}],
        )["payments"]
        queries.add_memberships(
            session, [{"team_id": team, "person_id": i, "role": "member"} for i in ids]
        )
        session.commit()
    teams = load_teams(engine)
    for period in (week, week.previous()):
        compute_releases(
            engine,
            teams,
            period,
            rules=Rules(k=5),
            thresholds=TierThresholds(),
            tools={"copilot", "project_falcon"},
        )

    with OpenAINarrative(API_KEY, chat.base_url, "gpt-4.1-mini", timeout=2) as narrative:
        digest = build_digest(
            engine, teams[0], week=week, now=now, narrative=narrative, with_chart=False
        )

    assert digest is not None and not digest.quiet
    body = sent(chat)
    assert not [word for word in SECRET_WORDS if word in body.lower()]
    # The model is given aggregate numbers only: no tool's name, known or imported, reaches it.
    assert "GitHub Copilot" not in body and "another tool" not in body
    assert "mean share of AI suggestions accepted" in body
