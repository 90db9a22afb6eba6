"""Copilot outcome signals: today's and older published report shapes fill the right columns.

Parsing is the same on both databases, so these run on SQLite; the bulk write path on both
databases is tested in test_outcome_storage.py.
"""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

import pytest
from sqlalchemy.engine import Engine

from bot.collectors.copilot import CopilotCollector
from bot.sync import SyncOutcome, sync_source
from storage import outcomes
from storage.engine import session as open_session
from storage.models import DailyUsage
from tests.collectors.stored import outcome_columns, stored_day
from tests.conftest import make_settings
from tests.fakes.github import (
    FakeGitHub,
    published_current_user_row,
    published_org_day,
    published_user_row,
)
from tests.fakes.vendor_http import Status

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

TOKEN = "ghp_fake_token_for_tests"
NOW = dt.datetime(2025, 10, 20, 12, 0, tzinfo=dt.UTC)
DAY = dt.date(2025, 10, 19)
ORG_REPORT = "/orgs/acme/copilot/metrics/reports/organization-1-day"

# GitHub's current users-1-day example, worked out by hand: 32 lines added (8 by a code
# completion in VS Code, 24 in the Copilot app), 6 removed, 12.5 AI credits, phase 2 ("agent
# first"), the Copilot app used (3 requests), no cloud agent, code review not reported (null),
# and two third-party agents used twice each.
CURRENT_OUTCOMES: dict[str, Any] = {
    **outcomes.no_outcomes(),
    "lines_added": 32,
    "lines_removed": 6,
    "ai_credits_used": 12.5,
    "adoption_phase": 2,
    "used_cloud_agent": False,
    "used_copilot_app": True,
    "outcome_detail": {
        "loc_added_by_feature": {"code_completion": 8, "copilot_app": 24},
        "loc_added_by_ide": {"vscode": 8},
        "copilot_app_requests": 3,
        "third_party_agent_interactions": {"Claude (Anthropic)": 2, "Codex (OpenAI)": 2},
    },
}
# The same example's usage counts: CLI and Copilot app tokens together.
CURRENT_USAGE: dict[str, Any] = {
    "active": True,
    "interactions": 1,
    "generations": 3,
    "acceptances": 3,
    "lines_suggested": 34,
    "lines_accepted": 32,
    "cli_requests": 2,
    "input_tokens": 3800 + 5400,
    "output_tokens": 5000 + 4200,
    "features": ["code_completion", "copilot_app", "copilot_cli"],
}
# The older example (before AI credits, phases, the app and the cloud agent): only lines.
OLDER_OUTCOMES: dict[str, Any] = {
    **outcomes.no_outcomes(),
    "lines_added": 8,
    "lines_removed": 0,
    "outcome_detail": {
        "loc_added_by_feature": {"code_completion": 8},
        "loc_added_by_ide": {"vscode": 8},
    },
}


def run_sync(engine: Engine, fake: FakeGitHub) -> SyncOutcome:
    settings = make_settings(
        github_token=TOKEN,
        github_org="acme",
        github_api_url=fake.url,
        vendor_timeout_seconds=2.0,
    )
    collector = CopilotCollector(settings, sleep=lambda _: None)
    try:
        return sync_source(engine, collector, now=NOW, backfill_days=1)
    finally:
        collector.close()


def stored(engine: Engine, login: str) -> DailyUsage:
    return stored_day(engine, "copilot", login, DAY)


def sync_rows(engine: Engine, *rows: dict[str, Any], **fake_args: Any) -> SyncOutcome:
    with FakeGitHub(token=TOKEN, usage={DAY: list(rows)}, **fake_args) as fake:
        return run_sync(engine, fake)


def test_todays_published_row_fills_every_outcome_column(engine: Engine) -> None:
    outcome = sync_rows(engine, published_current_user_row())

    assert outcome.error is None
    usage = stored(engine, "login1")
    assert outcome_columns(usage) == CURRENT_OUTCOMES
    assert {name: getattr(usage, name) for name in CURRENT_USAGE} == CURRENT_USAGE
    # Nothing GitHub reports only for the organisation lands on a person.
    assert (usage.commits, usage.pull_requests) == (None, None)


def test_the_older_published_row_still_parses_with_the_new_signals_not_reported(
    engine: Engine,
) -> None:
    outcome = sync_rows(engine, published_user_row())

    assert outcome.error is None
    assert outcome_columns(stored(engine, "login1")) == OLDER_OUTCOMES


def test_fields_github_adds_later_never_fail_a_day(engine: Engine) -> None:
    row = published_current_user_row()
    row["totals_by_hologram"] = [{"hologram": "x", "loc_added_sum": "lots"}]
    row["used_copilot_teleport"] = "sometimes"
    row["ai_adoption_phase"]["confidence"] = {"nested": [1, 2]}
    row["totals_by_copilot_app"]["minutes_saved"] = 12.5

    outcome = sync_rows(engine, row)

    assert outcome.error is None
    assert outcome_columns(stored(engine, "login1")) == CURRENT_OUTCOMES


def test_known_fields_left_out_are_stored_as_not_reported(engine: Engine) -> None:
    row = published_current_user_row()
    for key in ("ai_credits_used", "ai_adoption_phase", "loc_deleted_sum", "used_copilot_app"):
        del row[key]
    del row["totals_by_copilot_app"]

    outcome = sync_rows(engine, row)

    assert outcome.error is None
    detail = {
        key: value
        for key, value in CURRENT_OUTCOMES["outcome_detail"].items()
        if key != "copilot_app_requests"
    }
    assert outcome_columns(stored(engine, "login1")) == {
        **CURRENT_OUTCOMES,
        "ai_credits_used": None,
        "adoption_phase": None,
        "lines_removed": None,
        "used_copilot_app": None,
        "outcome_detail": detail,
    }


def test_a_bare_phase_number_and_the_coding_agent_flag_are_read(engine: Engine) -> None:
    row = published_current_user_row()
    row["ai_adoption_phase"] = 3
    row["used_copilot_coding_agent"] = True
    row["used_copilot_code_review_active"] = True
    row["used_copilot_code_review_passive"] = False

    sync_rows(engine, row)

    usage = stored(engine, "login1")
    assert (usage.adoption_phase, usage.used_cloud_agent) == (3, True)
    assert (usage.code_review_active, usage.code_review_passive) == (True, False)
    assert {"cloud_agent", "code_review"} <= set(usage.features)


def test_a_wrongly_typed_known_field_still_fails_the_day(engine: Engine) -> None:
    row = published_current_user_row()
    row["ai_credits_used"] = "12.5"

    outcome = sync_rows(engine, row)

    assert outcome.error is not None and "'ai_credits_used' is not a non-negative number" in (
        outcome.error
    )


def test_one_person_split_over_two_rows_adds_up_their_outcomes(engine: Engine) -> None:
    first, second = published_current_user_row(), published_current_user_row()
    second["user_login"] = "LOGIN1"
    second["used_copilot_cloud_agent"] = True

    sync_rows(engine, first, second, files_per_day=2)

    usage = stored(engine, "login1")
    assert (usage.lines_added, usage.lines_removed, usage.ai_credits_used) == (64, 12, 25.0)
    assert (usage.used_cloud_agent, usage.adoption_phase) == (True, 2)
    assert usage.outcome_detail is not None
    assert usage.outcome_detail["loc_added_by_feature"] == {
        "code_completion": 16,
        "copilot_app": 48,
    }


def org_report_with_phases() -> dict[str, Any]:
    """GitHub's published aggregate day, with a phase entry named as GitHub's changelogs name
    its fields (2026-05-29 cohorts, 2026-07-07 review time and cycles) and a field not yet
    known to anyone."""
    report = copy.deepcopy(published_org_day())
    report["totals_by_ai_adoption_phase"] = [
        {
            "phase": "Phase 2",
            "phase_number": 2,
            "version": "v1",
            "total_engaged_users": 7,
            "avg_pull_requests_created": 1.5,
            "avg_pull_requests_median_minutes_to_merge": 95.0,
            "avg_pull_requests_minutes_to_review": 30.0,
            "avg_pull_requests_review_cycles": 1.5,
        }
    ]
    report["pull_requests"]["total_something_new"] = 4
    return report


def test_org_only_figures_go_to_the_org_table_and_never_to_a_person(engine: Engine) -> None:
    outcome = sync_rows(
        engine, published_current_user_row(), org_days={DAY: org_report_with_phases()}
    )

    assert outcome.error is None
    with open_session(engine) as session:
        figures = outcomes.org_outcomes(session, "copilot", DAY, DAY)[DAY]
    assert figures[("all", "pull_requests.total_created_by_copilot")] == 1
    assert figures[("all", "pull_requests.total_merged_created_by_copilot")] == 1
    assert figures[("all", "pull_requests.median_minutes_to_merge")] == 2.5
    assert figures[("all", "pull_requests.total_something_new")] == 4
    assert figures[("all", "daily_active_users")] > 0
    assert figures[("phase 2", "avg_pull_requests_review_cycles")] == 1.5
    assert figures[("phase 2", "avg_pull_requests_minutes_to_review")] == 30.0
    assert ("phase 2", "phase_number") not in figures
    assert ("all", "enterprise_id") not in figures
    usage = stored(engine, "login1")
    assert (usage.commits, usage.pull_requests) == (None, None)


def test_an_org_report_that_fails_keeps_the_peoples_day(engine: Engine) -> None:
    with FakeGitHub(
        token=TOKEN,
        usage={DAY: [published_current_user_row()]},
        org_days={DAY: org_report_with_phases()},
    ) as fake:
        fake.fail_next(ORG_REPORT, Status(500, {"message": "Server Error"}), times=20)
        outcome = run_sync(engine, fake)

    assert outcome.error is None
    assert outcome_columns(stored(engine, "login1")) == CURRENT_OUTCOMES
    with open_session(engine) as session:
        assert outcomes.org_outcomes(session, "copilot", DAY, DAY) == {}
