"""Managers get figures they can use: on the demo organisation, no ordinary team gets dashes.

Before releases, 17 of 19 weekly digests of the demo showed "—" for 9 to 11 figures, and every
squad of 12–13 people had its weekly active share hidden. Now every team of 8 or more shows the
active share, the tier mix and adoption for every tool, in `/teamusage` and in the digest.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.engine import Engine

from bot.adoption import Tier
from bot.blocks.common import blocks_to_text
from bot.blocks.teamusage import HIDDEN, teamusage_blocks
from bot.demo import build_demo
from bot.digests.narrative import TemplateNarrative
from bot.digests.service import build_digest, digest_week
from bot.figures.periods import last_complete
from bot.figures.publish import publish_releases
from bot.figures.releases import read_releases
from bot.teams import load_teams
from tests.conftest import make_settings

NOW = dt.datetime(2026, 11, 30, 9, 0, tzinfo=dt.UTC)  # a Monday morning: digests are due


def test_every_demo_team_of_eight_or_more_shows_its_figures(
    engine: Engine, database_url: str
) -> None:
    build_demo(engine, now=NOW, people_count=300, days=56)
    settings = make_settings(database_url=database_url)
    publish_releases(engine=engine, settings=settings, now=NOW)
    week, month = last_complete(NOW.date()), last_complete(NOW.date(), 4)

    ordinary = 0
    for team in load_teams(engine):
        releases = read_releases(engine, team, [week, month])
        assert set(releases) == {week.name, month.name}, team.slug
        if releases[week.name].people < 8:
            continue
        ordinary += 1
        for release in releases.values():
            assert release.visible
            for key in ("active", *(f"tier:{t.value}" for t in Tier)):
                assert release.count(key) is not None, (team.slug, key)
            assert {f"tool:{tool}" for tool in release.tools} <= set(release.counts)
            text = blocks_to_text(teamusage_blocks(release, None, freshness=(), now=NOW))
            assert f"Active:* {HIDDEN}" not in text and "Tier mix" in text
        digest = build_digest(
            engine, team, week=digest_week(NOW, "UTC"), now=NOW, narrative=TemplateNarrative()
        )
        assert digest is not None
        body = blocks_to_text(digest.blocks)
        if not digest.quiet:
            assert "used AI tools this week" in body.splitlines()[0]  # the headline's count
            tier_line = next(line for line in body.splitlines() if "Usage levels" in line)
            adoption = next(line for line in body.splitlines() if "Tools:" in line)
            assert HIDDEN not in tier_line and HIDDEN not in adoption
    assert ordinary >= 24  # the demo's 24 squads of 12–13 and its departments
