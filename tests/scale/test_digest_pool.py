"""Digests whose charts render in the process pool are queued with the same chart as inline."""

from __future__ import annotations

import base64

from sqlalchemy.engine import Engine

from bot.digests.narrative import TemplateNarrative
from bot.digests.service import build_digest, digest_week, send_weekly_digests
from bot.teams import load_teams
from storage import queries
from storage.engine import session as open_session
from tests.digests.test_digests import MONDAY_0900_LONDON, team_with
from tests.releases import release_now


def test_charts_drawn_in_the_pool_are_the_charts_drawn_inline(engine: Engine) -> None:
    bosses = (("U0BOSS", "Europe/London"), ("U0DEPUTY", "Europe/London"))
    team_with(engine, "payments", 8, this_week=6, last_week=2, managers=bosses)
    team_with(engine, "ledger", 9, this_week=2, last_week=8, managers=bosses[:1])
    release_now(engine, MONDAY_0900_LONDON, k=5)
    queued = send_weekly_digests(
        engine=engine,
        team_sources=["org_file"],
        narrative=TemplateNarrative(),
        now=MONDAY_0900_LONDON,
        chart_workers=2,
    )
    assert queued == 3
    with open_session(engine) as session:
        charts = queries.outbox_messages(session, kind="digest_chart")
        texts = queries.outbox_messages(session, kind="digest")
    assert len(texts) == 3
    assert len(charts) == 3
    week = digest_week(MONDAY_0900_LONDON, "Europe/London")
    for team in load_teams(engine):
        digest = build_digest(
            engine, team, week=week, now=MONDAY_0900_LONDON, narrative=TemplateNarrative()
        )
        assert digest is not None and digest.chart is not None
        mine = [m for m in charts if m.payload.get("team_id") == team.id]
        assert mine
        for message in mine:
            assert base64.b64decode(message.payload["file"]["base64"]) == digest.chart
