"""Every surface shows the release's figures: `/teamusage`, the digest, its chart, the CLI."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from bot.blocks.common import blocks_to_text
from bot.cli import main
from bot.digests.narrative import TemplateNarrative
from bot.digests.service import build_digest, digest_week
from bot.teams import find_team, load_teams
from storage.models import AuditEntry
from tests.privacy.world import (
    NOW,
    WEEK48,
    make_viewer,
    person,
    publish,
    settings_for,
    shown,
    team,
    teamusage,
)


def test_teamusage_the_digest_its_chart_and_the_cli_agree(
    engine: Engine,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    make_viewer(engine)
    members = [
        person(engine, f"U0AGR{n:02d}", {"copilot": WEEK48[: n % 5], "cursor": WEEK48[: n % 3]})
        for n in range(12)
    ]
    team(engine, "squad", members)
    settings = settings_for(database_url)
    publish(engine, settings)

    answer = teamusage(engine, settings, "squad week")
    squad = find_team(load_teams(engine), "squad")[0]
    digest = build_digest(
        engine, squad, week=digest_week(NOW, "UTC"), now=NOW, narrative=TemplateNarrative()
    )
    assert digest is not None
    digest_text = blocks_to_text(digest.blocks)

    monkeypatch.setenv("DATABASE_URL", database_url)
    capsys.readouterr()
    assert main(["release", "squad", "--period", "2026-W48", "--json"]) == 0
    released = json.loads(capsys.readouterr().out)

    counts = released["counts"]
    assert shown(answer, "Active") == counts["active"] == shown(digest_text, f"{squad.name}:")
    for tier in ("inactive", "light", "regular", "power"):
        assert shown(answer, tier) == counts[f"tier:{tier}"] == shown(digest_text, tier)
    assert shown(answer, "*GitHub Copilot*") == counts["tool:copilot"]
    assert shown(answer, "*Cursor*") == counts["tool:cursor"]
    assert digest.trend[-1].active_share == pytest.approx(counts["active"] / released["people"])
    with engine.connect() as connection:
        looks = (
            connection.execute(
                sa.select(AuditEntry.detail).where(AuditEntry.action == "admin.viewed_team")
            )
            .scalars()
            .all()
        )
    assert {"team": "squad", "period": "2026-W48"} in looks
