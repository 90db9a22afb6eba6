"""Cursor outcomes: accepted and rejected agent edits and their lines, tab completions, from
today's published daily usage and from older or partial rows.
"""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

import pytest
from sqlalchemy.engine import Engine

from bot.collectors.cursor import CursorCollector
from bot.sync import SyncOutcome, sync_source
from storage import outcomes
from tests.collectors.stored import outcome_columns, stored_day
from tests.conftest import make_settings
from tests.fakes.cursor import FakeCursor, published

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

KEY = "key_test_cursor_0123456789"
EMAIL = "developer@company.com"
DAY = dt.date(2024, 3, 18)  # the first row of the published example
NOW = dt.datetime(2024, 3, 20, 6, tzinfo=dt.UTC)

# The published example's first row.
PUBLISHED_OUTCOMES: dict[str, Any] = {
    **outcomes.no_outcomes(),
    "lines_added": 1102,
    "lines_removed": 645,
    "edits_accepted": 73,
    "edits_rejected": 14,
    "tabs_shown": 342,
    "tabs_accepted": 289,
}


def published_row() -> dict[str, Any]:
    row: dict[str, Any] = copy.deepcopy(published("cursor-daily-usage-data.json")["data"][0])
    return row


def sync_rows(engine: Engine, *rows: dict[str, Any]) -> SyncOutcome:
    with FakeCursor(api_key=KEY, rows=list(rows)) as fake:
        settings = make_settings(cursor_api_key=KEY, cursor_api_url=fake.url)
        collector = CursorCollector(settings, sleep=lambda _: None)
        try:
            return sync_source(engine, collector, now=NOW, since=DAY, until=DAY)
        finally:
            collector.close()


def stored(engine: Engine) -> dict[str, Any]:
    return outcome_columns(stored_day(engine, "cursor", EMAIL, DAY))


def test_todays_published_row_fills_the_outcome_columns(engine: Engine) -> None:
    outcome = sync_rows(engine, published_row())

    assert outcome.error is None
    assert stored(engine) == PUBLISHED_OUTCOMES


def test_an_older_row_without_rejects_or_deleted_lines_parses(engine: Engine) -> None:
    row = published_row()
    row["mostUsedModel"] = "gpt-4"  # as older copies of the page show it
    for key in ("totalRejects", "acceptedLinesDeleted", "totalLinesDeleted", "bugbotUsages"):
        del row[key]

    outcome = sync_rows(engine, row)

    assert outcome.error is None
    assert stored(engine) == {
        **PUBLISHED_OUTCOMES,
        "lines_removed": None,
        "edits_rejected": None,
    }


def test_unknown_fields_are_ignored_and_nulls_mean_not_reported(engine: Engine) -> None:
    row = published_row()
    row["totalAgentLinesSuggested"] = 5000
    row["modelBreakdown"] = [{"model": "x", "requests": "many"}]
    row["totalTabsAccepted"] = None

    outcome = sync_rows(engine, row)

    assert outcome.error is None
    assert stored(engine) == {**PUBLISHED_OUTCOMES, "tabs_accepted": None}


def test_two_rows_of_one_day_add_up_and_a_missing_count_does_not_erase_the_other(
    engine: Engine,
) -> None:
    first, second = published_row(), published_row()
    del second["totalRejects"]

    sync_rows(engine, first, second)

    columns = stored(engine)
    assert (columns["edits_accepted"], columns["edits_rejected"]) == (146, 14)
    assert (columns["lines_added"], columns["tabs_accepted"]) == (2204, 578)
