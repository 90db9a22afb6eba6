"""Outcome columns go through both write paths on both databases: the multi-row upsert, and
PostgreSQL's COPY-and-upsert for big batches (storage/bulk_usage.py)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy.engine import Engine

from bot.collectors.copilot import CopilotCollector
from bot.sync import sync_source
from storage import bulk_usage, outcomes, queries
from storage.engine import session as open_session
from tests.collectors.stored import outcome_columns, stored_day
from tests.conftest import make_settings
from tests.factories import add_usage, make_identity, make_person, usage_row
from tests.fakes.github import FakeGitHub, published_current_user_row, published_org_day

TOKEN = "ghp_fake_token_for_tests"
NOW = dt.datetime(2025, 10, 20, 12, 0, tzinfo=dt.UTC)
DAY = dt.date(2025, 10, 19)
PEOPLE = bulk_usage.MIN_ROWS + 50  # enough for the COPY path on PostgreSQL


def test_a_big_day_of_copilot_outcomes_is_stored_whole(engine: Engine) -> None:
    rows = []
    for n in range(PEOPLE):
        row = published_current_user_row()
        row["user_login"] = f"dev-{n:04d}"
        row["ai_credits_used"] = n / 4
        row["ai_adoption_phase"]["phase_number"] = n % 4
        rows.append(row)
    with FakeGitHub(token=TOKEN, usage={DAY: rows}, org_days={DAY: published_org_day()}) as fake:
        settings = make_settings(github_token=TOKEN, github_org="acme", github_api_url=fake.url)
        collector = CopilotCollector(settings, sleep=lambda _: None)
        try:
            outcome = sync_source(engine, collector, now=NOW, backfill_days=1)
        finally:
            collector.close()

    assert (outcome.error, outcome.rows_written) == (None, PEOPLE)
    last = stored_day(engine, "copilot", f"dev-{PEOPLE - 1:04d}", DAY)
    assert last.ai_credits_used == (PEOPLE - 1) / 4
    assert last.adoption_phase == (PEOPLE - 1) % 4
    assert (last.used_copilot_app, last.used_cloud_agent, last.code_review_active) == (
        True,
        False,
        None,
    )
    assert last.outcome_detail is not None
    assert last.outcome_detail["copilot_app_requests"] == 3
    with open_session(engine) as session:
        org = outcomes.org_outcomes(session, "copilot", DAY, DAY)[DAY]
    assert org[("all", "pull_requests.median_minutes_to_merge")] == 2.5


def write(engine: Engine, identity_ids: list[int], values: dict[str, Any]) -> None:
    rows = [
        {
            "identity_id": identity_id,
            "day": DAY,
            "tool": "cursor",
            "source": "cursor",
            **queries.zero_usage(),
            **outcomes.no_outcomes(),
            **values,
        }
        for identity_id in identity_ids
    ]
    with open_session(engine) as session:
        queries.upsert_daily_usage(session, rows)
        session.commit()


@pytest.mark.parametrize("people", [3, PEOPLE], ids=["upsert", "bulk"])
def test_rewriting_a_day_replaces_its_outcomes_not_only_its_usage(
    engine: Engine, people: int
) -> None:
    with open_session(engine) as session:
        ids = queries.ensure_identities(
            session, [("cursor", f"p{n}@x.example") for n in range(people)]
        )
        session.commit()
    first = {"lines_added": 10, "tabs_accepted": 4, "outcome_detail": {"edit_decisions": {}}}
    write(engine, sorted(ids.values()), first)
    write(engine, sorted(ids.values()), {"lines_added": 7, "used_cloud_agent": True})

    columns = outcome_columns(stored_day(engine, "cursor", "p0@x.example", DAY))
    assert columns == {**outcomes.no_outcomes(), "lines_added": 7, "used_cloud_agent": True}


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_persons_signals_add_up_as_each_metric_says(engine: Engine) -> None:
    person = make_person(engine)
    copilot = make_identity(engine, tool="copilot", external_id="ada", person_id=person)
    claimed = make_identity(
        engine, tool="cursor", external_id="ada@x.example", person_id=person, verified=False
    )
    first, second = DAY - dt.timedelta(days=1), DAY

    def day(identity_id: int, tool: str, when: dt.date, **values: Any) -> dict[str, Any]:
        return usage_row(identity_id, tool, when, **{**outcomes.no_outcomes(), **values})

    add_usage(
        engine,
        [
            day(
                copilot,
                "copilot",
                first,
                ai_credits_used=1.5,
                adoption_phase=1,
                lines_added=10,
                used_cloud_agent=True,
            ),
            day(
                copilot,
                "copilot",
                second,
                ai_credits_used=2.0,
                adoption_phase=2,
                lines_added=5,
                used_cloud_agent=False,
            ),
            day(claimed, "cursor", second, tabs_accepted=9),
        ],
    )

    with open_session(engine) as session:
        signals = outcomes.person_signals(session, person, first, second)

    # The unverified claim shows nothing; what Copilot never reported is absent, not 0.
    assert signals == {
        "copilot": {
            "ai_credits_used": 3.5,
            "adoption_phase": 2,
            "used_cloud_agent": 1,
            "lines_added": 15,
        }
    }
