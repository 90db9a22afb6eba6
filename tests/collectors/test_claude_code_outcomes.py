"""Claude Code outcomes: commits, pull requests, lines added and removed, and edit decisions per
tool, from today's published report and from older or partial shapes.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy.engine import Engine

from bot.collectors.claude_code import ClaudeCodeCollector
from bot.sync import SyncOutcome, sync_source
from storage import outcomes
from tests.collectors.stored import outcome_columns, stored_day
from tests.conftest import make_settings
from tests.fakes.anthropic import ADMIN_KEY, PUBLISHED_DAY, FakeAnthropic, published_report

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

DAY = PUBLISHED_DAY  # 2025-08-08
NOW = dt.datetime(2025, 8, 9, 12, 0, tzinfo=dt.UTC)
EMAIL = "user@emaildomain.com"

# The published example by hand: 8 commits, 2 pull requests, 342 lines added and 128 removed;
# edits accepted 25 + 12 + 5 + 8 = 50 and rejected 3 + 1 + 2 + 0 = 6.
PUBLISHED_OUTCOMES: dict[str, Any] = {
    **outcomes.no_outcomes(),
    "commits": 8,
    "pull_requests": 2,
    "lines_added": 342,
    "lines_removed": 128,
    "edits_accepted": 50,
    "edits_rejected": 6,
    "outcome_detail": {
        "edit_decisions": {
            "edit_tool": {"accepted": 25, "rejected": 3},
            "multi_edit_tool": {"accepted": 12, "rejected": 1},
            "notebook_edit_tool": {"accepted": 5, "rejected": 2},
            "write_tool": {"accepted": 8, "rejected": 0},
        }
    },
}


def published_row() -> dict[str, Any]:
    row: dict[str, Any] = published_report()["data"][0]
    return row


def sync_rows(engine: Engine, *rows: dict[str, Any]) -> SyncOutcome:
    with FakeAnthropic() as fake:
        fake.set_rows(DAY, list(rows))
        settings = make_settings(anthropic_admin_key=ADMIN_KEY, anthropic_api_url=fake.url)
        collector = ClaudeCodeCollector(settings, sleep=lambda _: None)
        try:
            return sync_source(engine, collector, now=NOW, since=DAY)
        finally:
            collector.close()


def stored(engine: Engine) -> dict[str, Any]:
    return outcome_columns(stored_day(engine, "claude_code", EMAIL, DAY))


def test_todays_published_row_fills_the_outcome_columns(engine: Engine) -> None:
    outcome = sync_rows(engine, published_row())

    assert outcome.error is None
    assert stored(engine) == PUBLISHED_OUTCOMES


def test_an_older_row_without_commits_removals_or_most_tools_still_parses(
    engine: Engine,
) -> None:
    row = published_row()
    row["date"] = "2025-08-08"  # the short date form of earlier pages
    del row["core_metrics"]["commits_by_claude_code"]
    del row["core_metrics"]["pull_requests_by_claude_code"]
    del row["core_metrics"]["lines_of_code"]["removed"]
    row["tool_actions"] = {"edit_tool": {"accepted": 25, "rejected": 3}}

    outcome = sync_rows(engine, row)

    assert outcome.error is None
    assert stored(engine) == {
        **outcomes.no_outcomes(),
        "lines_added": 342,
        "edits_accepted": 25,
        "edits_rejected": 3,
        "outcome_detail": {"edit_decisions": {"edit_tool": {"accepted": 25, "rejected": 3}}},
    }


def test_new_tools_and_fields_are_taken_in_stride(engine: Engine) -> None:
    row = published_row()
    row["tool_actions"]["plan_tool"] = {"accepted": 4, "rejected": 1, "deferred": 2}
    row["core_metrics"]["lines_of_code"]["moved"] = 7
    row["core_metrics"]["reviews_by_claude_code"] = {"count": 3}
    row["subagent_breakdown"] = [{"name": "x"}]

    outcome = sync_rows(engine, row)

    assert outcome.error is None
    columns = stored(engine)
    assert (columns["edits_accepted"], columns["edits_rejected"]) == (54, 7)
    assert columns["outcome_detail"]["edit_decisions"]["plan_tool"] == {
        "accepted": 4,
        "rejected": 1,
    }
    assert (columns["commits"], columns["lines_removed"]) == (8, 128)


def test_a_row_without_tool_actions_reports_no_edit_decisions(engine: Engine) -> None:
    row = published_row()
    del row["tool_actions"]

    sync_rows(engine, row)

    columns = stored(engine)
    assert (columns["edits_accepted"], columns["edits_rejected"]) == (None, None)
    assert columns["outcome_detail"] is None
    assert columns["commits"] == 8


def test_rows_of_one_person_on_two_terminals_add_up(engine: Engine) -> None:
    first, second = published_row(), published_row()
    second["terminal_type"] = "vscode"
    del second["core_metrics"]["commits_by_claude_code"]

    sync_rows(engine, first, second)

    columns = stored(engine)
    assert (columns["commits"], columns["pull_requests"]) == (8, 4)
    assert (columns["lines_added"], columns["lines_removed"]) == (684, 256)
    assert (columns["edits_accepted"], columns["edits_rejected"]) == (100, 12)
    assert columns["outcome_detail"]["edit_decisions"]["edit_tool"] == {
        "accepted": 50,
        "rejected": 6,
    }
