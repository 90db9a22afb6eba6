"""Cursor's AI code tracking report: AI lines against other lines per commit, summed per person
and day, read only where it is switched on and the team has it."""

from __future__ import annotations

import copy
import datetime as dt
import json
from typing import Any

import pytest
from sqlalchemy.engine import Engine

from bot.collectors.cursor import CursorCollector
from bot.sync import SyncOutcome, sync_source
from storage import outcomes
from tests.collectors.stored import outcome_columns, stored_day
from tests.conftest import make_settings
from tests.fakes.cursor import FakeCursor, published, usage_row

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

KEY = "key_test_cursor_0123456789"
EMAIL = "developer@company.com"
DAY = dt.date(2025, 7, 30)  # the day of the published commit
NOW = dt.datetime(2025, 7, 31, 6, tzinfo=dt.UTC)
AI_CODE = "/analytics/ai-code/commits"

# The published commit: Tab 50 + agent 40 lines added (10 + 5 deleted), 30 (15) without AI.
PUBLISHED_COMMIT_OUTCOMES = {
    "commits": 1,
    "commit_lines_ai": 90,
    "commit_lines_other": 30,
    "outcome_detail": {
        "commit_lines": {
            "commits": 1,
            "ai_added": 90,
            "ai_deleted": 15,
            "other_added": 30,
            "other_deleted": 15,
        }
    },
}


def published_commit(**changes: Any) -> dict[str, Any]:
    commit: dict[str, Any] = copy.deepcopy(published("cursor-ai-code-commits.json")["items"][0])
    for key, value in changes.items():
        if value is ...:
            del commit[key]
        else:
            commit[key] = value
    return commit


def sync(
    engine: Engine, fake: FakeCursor, sleeps: list[float] | None = None, *, on: bool = True
) -> SyncOutcome:
    settings = make_settings(
        cursor_api_key=KEY, cursor_api_url=fake.url, cursor_ai_code_tracking=on
    )
    waits = [] if sleeps is None else sleeps
    collector = CursorCollector(settings, sleep=waits.append, clock=lambda: 0.0)
    try:
        return sync_source(engine, collector, now=NOW, since=DAY, until=DAY)
    finally:
        collector.close()


def run(engine: Engine, commits: list[dict[str, Any]] | None, **kwargs: Any) -> FakeCursor:
    with FakeCursor(api_key=KEY, rows=[usage_row(EMAIL, DAY, totalAccepts=3)]) as fake:
        fake.ai_commits = commits
        outcome = sync(engine, fake, **kwargs)
    assert outcome.error is None
    return fake


def stored(engine: Engine, email: str = EMAIL) -> dict[str, Any]:
    return outcome_columns(stored_day(engine, "cursor", email, DAY))


def test_the_published_commit_fills_the_commit_columns(engine: Engine) -> None:
    fake = run(engine, [published_commit()])

    columns = stored(engine)
    assert {key: columns[key] for key in PUBLISHED_COMMIT_OUTCOMES} == PUBLISHED_COMMIT_OUTCOMES
    assert columns["edits_accepted"] == 3  # the daily usage is still there
    # Only counts are kept: never the message, hash, repository or branch.
    stored_text = json.dumps(columns)
    assert not any(word in stored_text for word in ("Refactor", "a1b2c3d4", "company/repo"))
    (request,) = fake.calls(AI_CODE)
    assert request.arg("startDate") == "2025-07-30T00:00:00Z"
    assert request.arg("endDate") == "2025-07-31T00:00:00Z"


def test_todays_fields_and_unknown_ones_are_taken_in_stride(engine: Engine) -> None:
    # `commitSource` is in today's field list; the other two are not known to anyone.
    commit = published_commit(commitSource="cloud", reviewLinesAdded=4, agentName={"x": 1})
    run(engine, [commit])

    assert stored(engine)["commit_lines_ai"] == 90


def test_line_counts_left_out_read_as_none_added(engine: Engine) -> None:
    run(engine, [published_commit(tabLinesDeleted=..., nonAiLinesAdded=..., totalLinesAdded=...)])

    columns = stored(engine)
    assert (columns["commit_lines_ai"], columns["commit_lines_other"]) == (90, 0)


def test_commits_without_ai_lines_are_not_commits_made_with_ai(engine: Engine) -> None:
    human = published_commit(
        tabLinesAdded=0, tabLinesDeleted=0, composerLinesAdded=0, composerLinesDeleted=0
    )
    run(engine, [published_commit(), human, published_commit(userEmail="Other@Company.com")])

    columns = stored(engine)
    assert (columns["commits"], columns["commit_lines_other"]) == (1, 60)
    assert columns["outcome_detail"]["commit_lines"]["commits"] == 2
    # A committer with no usage row that day still gets their commit lines.
    other = stored(engine, "other@company.com")
    assert (other["commits"], other["commit_lines_ai"]) == (1, 90)


def test_many_commits_are_paged_under_the_reports_rate_limit(engine: Engine) -> None:
    sleeps: list[float] = []
    fake = run(engine, [published_commit()] * 1500, sleeps=sleeps)

    assert [call.arg("page") for call in fake.calls(AI_CODE)] == ["1", "2"]
    assert stored(engine)["commits"] == 1500
    assert 12.0 in sleeps  # the second page waited out the 5-a-minute limit


def test_switched_off_it_is_never_asked(engine: Engine) -> None:
    fake = run(engine, [published_commit()], on=False)

    assert fake.calls(AI_CODE) == []
    assert stored(engine) == {**stored(engine), **dict.fromkeys(PUBLISHED_COMMIT_OUTCOMES)}


def test_a_team_without_the_report_keeps_its_usage_days(engine: Engine) -> None:
    run(engine, None)

    columns = stored(engine)
    assert columns["commits"] is None and columns["commit_lines_ai"] is None
    assert columns["edits_accepted"] == 3
    assert set(columns) == set(outcomes.COLLECTED_COLUMNS)
