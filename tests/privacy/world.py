"""A small organisation for the release attacks, and a viewer who reads every surface.

The viewer is an admin (so may see every team) and reads exactly what Slack would show:
`/teamusage` answers and digests as text, and `uptake release --json` as data.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping

import sqlalchemy as sa
from slack_sdk import WebClient
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

from bot.blocks.common import blocks_to_text
from bot.services import Services
from bot.settings import Settings
from bot.teamusage import answer_teamusage, parse_teamusage
from storage import queries
from storage.engine import session as open_session
from tests.conftest import make_settings
from tests.factories import add_usage, make_identity, make_person, usage_row

# A Wednesday: ISO week 48 (23–29 Nov 2026) is over, its data complete, its digest due.
NOW = dt.datetime(2026, 12, 2, 12, 0, tzinfo=dt.UTC)
WEEK48 = [dt.date(2026, 11, 23) + dt.timedelta(days=n) for n in range(7)]
VIEWER = "U0VIEWER"
TRIALS = 16  # fresh record keys each time; P(an attack is right every time by luck) < 1e-8


def settings_for(database_url: str) -> Settings:
    """Settings with the viewer as an admin, k = 5."""
    return make_settings(database_url=database_url, admin_user_ids=[VIEWER], min_group_size=5)


def person(engine: Engine, slack_user_id: str, usage: Mapping[str, Iterable[dt.date]]) -> int:
    """A person with an account in each tool named, active on the days given."""
    person_id = make_person(engine, slack_user_id=slack_user_id)
    for tool, days in usage.items():
        identity = make_identity(
            engine, tool=tool, external_id=f"{tool}-{slack_user_id.lower()}", person_id=person_id
        )
        add_usage(
            engine,
            [usage_row(identity, tool, day, generations=10, acceptances=3) for day in days],
        )
    return person_id


def accepting(engine: Engine, slack_user_id: str, rate: float) -> int:
    """A Copilot user active all of week 48 with this acceptance rate."""
    person_id = make_person(engine, slack_user_id=slack_user_id)
    identity = make_identity(
        engine, tool="copilot", external_id=f"gh-{slack_user_id.lower()}", person_id=person_id
    )
    add_usage(
        engine,
        [
            usage_row(identity, "copilot", day, generations=100, acceptances=round(rate * 100))
            for day in WEEK48
        ],
    )
    return person_id


def team(engine: Engine, slug: str, members: Iterable[int], *, parent: str | None = None) -> int:
    """An org-file team (allowed, as an admin wrote it) with these direct members."""
    with open_session(engine) as session:
        parent_id = (
            queries.upsert_teams(session, [{"slug": parent, "name": parent, "source": "org_file"}])[
                parent
            ]
            if parent
            else None
        )
        team_id = queries.upsert_teams(
            session,
            [{"slug": slug, "name": slug.title(), "source": "org_file", "parent_id": parent_id}],
        )[slug]
        queries.add_memberships(
            session, [{"team_id": team_id, "person_id": p, "role": "member"} for p in members]
        )
        session.commit()
    return team_id


def join(engine: Engine, slug: str, person_id: int) -> None:
    """Add a member to an existing team."""
    team(engine, slug, [person_id])


def publish(engine: Engine, settings: Settings) -> None:
    """What the clock does hourly: make every due release."""
    from bot.figures.publish import publish_releases

    publish_releases(engine=engine, settings=settings, now=NOW)


def reroll(engine: Engine) -> None:
    """Forget every release and record key, so the next publish draws fresh noise."""
    with engine.begin() as connection:
        for name in ("team_release", "disclosure_key"):
            if name in SQLModel.metadata.tables:
                connection.execute(sa.delete(SQLModel.metadata.tables[name]))


def teamusage(engine: Engine, settings: Settings, text: str) -> str:
    """`/teamusage TEXT` as the viewer sees it."""
    services = Services(settings=settings, engine=engine, clock=lambda: NOW)
    client = WebClient(token="xoxb-unused", base_url="http://127.0.0.1:9/")  # never called
    blocks, _ = answer_teamusage(services, client, VIEWER, None, parse_teamusage(text))
    return blocks_to_text(blocks)


def shown(text: str, label: str) -> int | None:
    """The number shown after `label` ("~8", "8" or a dash); None when hidden."""
    match = re.search(re.escape(label) + r"\*?:?\*?\s*~?(\d+|—)", text)
    assert match, f"{label!r} is not in the answer:\n{text}"
    return None if match.group(1) == "—" else int(match.group(1))


def percent(text: str, label: str) -> int | None:
    """A percentage shown after `label` (on its line or the next), or None when hidden."""
    match = re.search(re.escape(label) + r"[^\n~\d—]*\n?[^\n~\d—]*(?:~?(\d+)%|—)", text)
    assert match, f"{label!r} is not in the answer:\n{text}"
    return int(match.group(1)) if match.group(1) else None


def make_viewer(engine: Engine) -> None:
    """The viewer exists as a person (so no Slack lookup is needed)."""
    make_person(engine, slack_user_id=VIEWER)
