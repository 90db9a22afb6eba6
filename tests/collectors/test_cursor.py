"""The Cursor collector against a fake Cursor Admin API over real HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

import base64
import copy
import datetime as dt
import itertools
import logging
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.engine import Engine
from sqlmodel import select

from bot.collectors.base import CollectorError, DayReport, MalformedReport, day_range
from bot.collectors.cursor import CursorCollector
from bot.sync import SyncOutcome, sync_source
from storage.engine import session as open_session
from storage.models import DailyUsage, Identity, SyncState
from storage.usage import USAGE_METRICS
from tests.conftest import make_settings
from tests.factories import make_person
from tests.fakes.cursor import (
    DAY_MS,
    TOO_MANY,
    FakeCursor,
    epoch_ms,
    generate_rows,
    published,
    usage_row,
)
from tests.fakes.slack_api import Hang, Malformed, RateLimited, ServerError, Slow
from tests.fakes.vendor_http import Truncated

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "vendor-apis"
KEY = "key_test_cursor_0123456789"
# base64("key_test_cursor_0123456789:"), worked out by hand, not by the code under test.
AUTH_HEADER = "Basic a2V5X3Rlc3RfY3Vyc29yXzAxMjM0NTY3ODk6"
NOW = dt.datetime(2026, 11, 25, 6, 0, tzinfo=dt.UTC)
LATEST = dt.date(2026, 11, 24)
USAGE = "/teams/daily-usage-data"
MEMBERS = "/teams/members"
METRICS = USAGE_METRICS
TEAM = [f"engineer{n:03d}@bank.example" for n in range(40)]


class FakeTime:
    """A monotonic clock that only moves when the collector sleeps; sleeps are recorded."""

    def __init__(self) -> None:
        self.now = 10_000.0
        self.sleeps: list[float] = []
        self._lock = threading.Lock()

    def clock(self) -> float:
        with self._lock:
            return self.now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.sleeps.append(seconds)
            self.now += seconds


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


@pytest.fixture
def cursor(fake_time: FakeTime) -> Iterator[FakeCursor]:
    with FakeCursor(api_key=KEY, clock=fake_time.clock) as fake:
        yield fake


def make_collector(fake: FakeCursor, fake_time: FakeTime, **overrides: Any) -> CursorCollector:
    values: dict[str, Any] = {
        "cursor_api_key": KEY,
        "cursor_api_url": fake.url,
        "vendor_timeout_seconds": 5.0,
        "vendor_retry_budget_seconds": 300.0,
        **overrides,
    }
    return CursorCollector(make_settings(**values), sleep=fake_time.sleep, clock=fake_time.clock)


def run(
    engine: Engine,
    fake: FakeCursor,
    fake_time: FakeTime,
    *,
    now: dt.datetime = NOW,
    settings: dict[str, Any] | None = None,
    **window: Any,
) -> SyncOutcome:
    collector = make_collector(fake, fake_time, **(settings or {}))
    try:
        return sync_source(engine, collector, now=now, **window)
    finally:
        collector.close()


def stored(engine: Engine) -> dict[tuple[str, dt.date], dict[str, Any]]:
    """Every Cursor daily usage row, keyed by (external id, day)."""
    with open_session(engine) as session:
        pairs = session.exec(
            select(DailyUsage, Identity).where(DailyUsage.identity_id == Identity.id)
        ).all()
    result = {}
    for usage, identity in pairs:
        assert (usage.tool, usage.source, identity.tool) == ("cursor", "cursor", "cursor")
        result[(identity.external_id, usage.day)] = {name: getattr(usage, name) for name in METRICS}
    return result


def sync_state(engine: Engine) -> SyncState:
    with open_session(engine) as session:
        state = session.get(SyncState, "cursor")
    assert state is not None
    return state


def identities(engine: Engine) -> dict[str, Identity]:
    with open_session(engine) as session:
        found = session.exec(select(Identity).where(Identity.tool == "cursor")).all()
    return {identity.external_id: identity for identity in found}


def expected(
    rows: list[dict[str, Any]], days: list[dt.date]
) -> dict[tuple[str, dt.date], dict[str, Any]]:
    """What Uptake should store for `rows` on `days`, worked out independently of the collector."""
    wanted = {epoch_ms(day): day for day in days}
    summed: dict[tuple[str, dt.date], dict[str, Any]] = {}
    for row in rows:
        if row["date"] not in wanted:
            continue
        key = (row["email"].lower(), wanted[row["date"]])
        total = summed.setdefault(key, {"isActive": False})
        total["isActive"] = total["isActive"] or row["isActive"]
        for name, value in row.items():
            if isinstance(value, int) and not isinstance(value, bool) and name != "date":
                total[name] = total.get(name, 0) + value
    result = {}
    for key, t in summed.items():
        features = [
            name
            for name, count in (
                ("agent", "agentRequests"),
                ("apply", "totalApplies"),
                ("bugbot", "bugbotUsages"),
                ("chat", "chatRequests"),
                ("cmdk", "cmdkUsages"),
                ("composer", "composerRequests"),
                ("tab", "totalTabsShown"),
            )
            if t[count] > 0
        ]
        result[key] = {
            "active": t["isActive"],
            "interactions": t["composerRequests"]
            + t["chatRequests"]
            + t["agentRequests"]
            + t["cmdkUsages"]
            + t["bugbotUsages"],
            "generations": t["totalTabsShown"] + t["totalApplies"],
            "acceptances": t["totalTabsAccepted"] + t["totalAccepts"],
            "lines_suggested": t["totalLinesAdded"],
            "lines_accepted": t["acceptedLinesAdded"],
            "chat_requests": t["chatRequests"] + t["composerRequests"],
            "agent_requests": t["agentRequests"],
            "cli_requests": 0,
            "input_tokens": 0,
            "output_tokens": 0,
            "cost_cents": None,
            "cost_kind": None,
            "features": features,
        }
    return result


def days_back(count: int) -> list[dt.date]:
    return day_range(LATEST - dt.timedelta(days=count - 1), LATEST)


# -- the published example -----------------------------------------------------------------


def test_published_fixtures_are_present() -> None:
    for name in ("cursor-daily-usage-data.json", "cursor-teams-members.json"):
        assert (FIXTURES / name).is_file(), f"missing published fixture {name}"
    assert len(published("cursor-daily-usage-data.json")["data"]) == 2


def test_published_example_is_requested_as_documented_and_stored_exactly(
    engine: Engine, cursor: FakeCursor, fake_time: FakeTime
) -> None:
    outcome = run(
        engine,
        cursor,
        fake_time,
        now=dt.datetime(2024, 3, 20, 6, 0, tzinfo=dt.UTC),
        since=dt.date(2024, 3, 18),
    )

    assert outcome.ok, outcome.error
    assert (outcome.days_written, outcome.rows_written) == (2, 2)
    # The very request the docs show for this response.
    assert cursor.usage_periods() == [(1710720000000, 1710892800000)]
    period = published("cursor-daily-usage-data.json")["period"]
    assert cursor.usage_periods() == [(period["startDate"], period["endDate"])]
    assert cursor.calls(USAGE)[0].headers["content-type"] == "application/json"
    every_feature = ["agent", "apply", "bugbot", "chat", "cmdk", "composer", "tab"]
    assert stored(engine) == {
        ("developer@company.com", dt.date(2024, 3, 18)): {
            "active": True,
            "interactions": 45 + 128 + 12 + 67 + 3,
            "generations": 342 + 87,
            "acceptances": 289 + 73,
            "lines_suggested": 1543,
            "lines_accepted": 1102,
            "chat_requests": 128 + 45,
            "agent_requests": 12,
            "cli_requests": 0,
            "input_tokens": 0,
            "output_tokens": 0,
            "cost_cents": None,
            "cost_kind": None,
            "features": every_feature,
        },
        ("developer@company.com", dt.date(2024, 3, 19)): {
            "active": True,
            "interactions": 67 + 156 + 23 + 89 + 5,
            "generations": 456 + 102,
            "acceptances": 398 + 91,
            "lines_suggested": 2104,
            "lines_accepted": 1876,
            "chat_requests": 156 + 67,
            "agent_requests": 23,
            "cli_requests": 0,
            "input_tokens": 0,
            "output_tokens": 0,
            "cost_cents": None,
            "cost_kind": None,
            "features": every_feature,
        },
    }
    assert identities(engine)["developer@company.com"].email == "developer@company.com"
    state = sync_state(engine)
    assert state.last_complete_day == dt.date(2024, 3, 19)
    assert state.last_error is None


@pytest.mark.parametrize("bare_array", [False, True], ids=["documented", "older-bare-array"])
def test_members_get_identities_linked_to_known_people_by_email(
    engine: Engine, fake_time: FakeTime, bare_array: bool
) -> None:
    sam = make_person(engine, email="Admin@Company.com")
    with FakeCursor(
        api_key=KEY, clock=fake_time.clock, members_as_bare_array=bare_array, rows=[]
    ) as fake:
        outcome = run(engine, fake, fake_time, since=LATEST)

    assert outcome.ok, outcome.error
    assert len(fake.calls(MEMBERS)) == 1
    found = identities(engine)
    assert set(found) == {"developer@company.com", "admin@company.com"}
    # Sam has a seat but no usage, and still shows up as a Cursor user linked to them.
    admin = found["admin@company.com"]
    assert (admin.person_id, admin.verified, admin.link_method) == (sam, True, "email")
    assert admin.email == "admin@company.com"
    assert found["developer@company.com"].person_id is None
    assert stored(engine) == {}


def test_member_emails_are_lower_cased_and_deduplicated(
    engine: Engine, fake_time: FakeTime
) -> None:
    members = [
        {"name": "Pat", "email": "Pat.Smith@Bank.Example", "role": "member"},
        {"name": "Pat", "email": "pat.smith@bank.example", "role": "member"},
        {"email": "lee@bank.example"},  # name and role are optional
    ]
    with FakeCursor(api_key=KEY, clock=fake_time.clock, members=members, rows=[]) as fake:
        assert run(engine, fake, fake_time, since=LATEST).ok

    assert set(identities(engine)) == {"pat.smith@bank.example", "lee@bank.example"}


@pytest.mark.parametrize(
    "body",
    [
        {"teamMembers": [{"name": "No Email", "role": "member"}]},
        {"teamMembers": [{"email": None}]},
        {"teamMembers": "everyone"},
        {"members": []},
        ["not an object"],
        [{"email": "fine@company.com"}, {"email": "x" * 320 + "@company.com"}],
    ],
)
def test_malformed_members_fail_the_sync_naming_the_source(
    engine: Engine, cursor: FakeCursor, fake_time: FakeTime, body: Any
) -> None:
    cursor.members_body = body

    outcome = run(engine, cursor, fake_time, since=LATEST)

    assert outcome.error is not None and outcome.error.startswith("cursor: ")
    assert MEMBERS in outcome.error
    assert "company.com" not in outcome.error
    assert sync_state(engine).last_error == outcome.error
    assert identities(engine) == {}
    # a members failure is recorded, but does not hold back the usage pull
    assert len(cursor.calls(USAGE)) == 1


# -- windows, pacing and rate limits ---------------------------------------------------------


@pytest.mark.parametrize("end_inclusive", [False, True], ids=["end-exclusive", "end-inclusive"])
def test_90_day_backfill_covers_every_day_exactly_once_in_30_day_requests(
    engine: Engine, fake_time: FakeTime, end_inclusive: bool
) -> None:
    days = days_back(90)
    # The vendor also holds the day before the backfill and today's partial day.
    around = [days[0] - dt.timedelta(days=1), *days, LATEST + dt.timedelta(days=1)]
    rows = generate_rows(TEAM[:15], around)
    with FakeCursor(
        api_key=KEY, clock=fake_time.clock, rows=rows, end_inclusive=end_inclusive
    ) as fake:
        outcome = run(engine, fake, fake_time, backfill_days=90)

    assert outcome.ok, outcome.error
    assert outcome.days_written == 90
    periods = fake.usage_periods()
    assert len(periods) == 3
    covered: list[dt.date] = []
    for start, end in periods:
        assert start % DAY_MS == 0 and end % DAY_MS == 0  # midnight UTC bounds
        assert 0 < end - start <= 30 * DAY_MS
        covered += [
            dt.date(1970, 1, 1) + dt.timedelta(days=ms // DAY_MS)
            for ms in range(start, end, DAY_MS)
        ]
    assert covered == days  # half-open ranges: each day once, in order, none missed
    assert stored(engine) == expected(rows, days)
    assert fake.rate_limited == 0
    assert sync_state(engine).last_complete_day == LATEST


def test_a_big_team_is_fetched_in_smaller_windows(
    engine: Engine, cursor: FakeCursor, fake_time: FakeTime
) -> None:
    days = days_back(10)
    cursor.members = [{"name": "E", "email": email, "role": "member"} for email in TEAM]
    cursor.rows = generate_rows(TEAM, days)
    collector = make_collector(cursor, fake_time)
    collector.rows_per_request = 100  # 40 members: two days a request
    try:
        outcome = sync_source(engine, collector, now=NOW, backfill_days=10)
    finally:
        collector.close()

    assert outcome.ok, outcome.error
    assert [end - start for start, end in cursor.usage_periods()] == [2 * DAY_MS] * 5
    assert stored(engine) == expected(cursor.rows, days)


def test_windows_shrink_once_a_response_shows_how_big_a_day_is(
    cursor: FakeCursor, fake_time: FakeTime
) -> None:
    days = days_back(40)
    cursor.rows = generate_rows(TEAM, days)  # about 27 rows a day
    collector = make_collector(cursor, fake_time)
    collector.rows_per_request = 100
    try:
        reports = list(collector.fetch(days))
    finally:
        collector.close()

    spans = [(end - start) // DAY_MS for start, end in cursor.usage_periods()]
    assert spans[0] == 30
    assert all(1 <= span <= 3 for span in spans[1:])
    assert sum(spans) == 40
    assert [r.day for r in reports] == days


def test_requests_are_at_least_three_seconds_apart(
    engine: Engine, cursor: FakeCursor, fake_time: FakeTime
) -> None:
    cursor.rows = generate_rows(TEAM[:5], days_back(75))

    assert run(engine, cursor, fake_time, backfill_days=75).ok

    times = [t for _, t in cursor.stamps]
    assert [path for path, _ in cursor.stamps] == [MEMBERS, USAGE, USAGE, USAGE]
    assert all(later - earlier >= 3.0 for earlier, later in itertools.pairwise(times))
    assert sum(fake_time.sleeps) >= 3.0 * 3
    assert cursor.rate_limited == 0


def test_429_with_retry_after_is_waited_out(
    engine: Engine, cursor: FakeCursor, fake_time: FakeTime
) -> None:
    cursor.fail_next(USAGE, RateLimited(retry_after=17))

    outcome = run(
        engine,
        cursor,
        fake_time,
        now=dt.datetime(2024, 3, 20, 6, tzinfo=dt.UTC),
        since=dt.date(2024, 3, 18),
    )

    assert outcome.ok, outcome.error
    assert any(seconds >= 17 for seconds in fake_time.sleeps)
    assert len(cursor.calls(USAGE)) == 2
    assert len(stored(engine)) == 2


def test_the_documented_429_is_honoured_on_the_vendors_clock(
    engine: Engine, fake_time: FakeTime
) -> None:
    # A team limit of one request a minute: the usage request after /teams/members is refused
    # with Cursor's documented 429 body and Retry-After, and must be retried only after it.
    with FakeCursor(api_key=KEY, clock=fake_time.clock, rate_limit=1) as fake:
        outcome = run(
            engine,
            fake,
            fake_time,
            now=dt.datetime(2024, 3, 20, 6, tzinfo=dt.UTC),
            since=dt.date(2024, 3, 18),
        )
        refused = httpx.post(
            fake.url + USAGE,
            json={"startDate": 0, "endDate": DAY_MS},
            auth=(KEY, ""),
        )

    assert outcome.ok, outcome.error
    assert fake.rate_limited >= 1
    (members_at, usage_at) = [t for _, t in fake.stamps]
    assert usage_at - members_at >= 60.0
    assert any(seconds >= 57 for seconds in fake_time.sleeps)
    assert len(stored(engine)) == 2
    assert refused.status_code == 429 and refused.json() == TOO_MANY
    assert refused.headers["Retry-After"].isdigit()


def test_the_fake_refuses_ranges_over_30_days(cursor: FakeCursor) -> None:
    too_long = httpx.post(
        cursor.url + USAGE, json={"startDate": 0, "endDate": 31 * DAY_MS}, auth=(KEY, "")
    )
    thirty = httpx.post(
        cursor.url + USAGE, json={"startDate": 0, "endDate": 30 * DAY_MS}, auth=(KEY, "")
    )

    assert too_long.status_code == 400
    assert thirty.status_code == 200


# -- faults ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "fault",
    [ServerError(500), ServerError(503), Truncated(), Slow(0.5), Hang()],
    ids=["500", "503", "truncated", "slow", "hang"],
)
def test_transient_faults_are_retried_and_the_days_completed(
    engine: Engine, cursor: FakeCursor, fake_time: FakeTime, fault: Any
) -> None:
    cursor.fail_next(USAGE, fault)

    outcome = run(
        engine,
        cursor,
        fake_time,
        now=dt.datetime(2024, 3, 20, 6, tzinfo=dt.UTC),
        since=dt.date(2024, 3, 18),
        settings={"vendor_timeout_seconds": 0.3},
    )

    assert outcome.ok, outcome.error
    assert len(cursor.calls(USAGE)) == 2
    assert len(stored(engine)) == 2
    # The retry waited (on the injected clock), beyond the pacing wait.
    assert len(fake_time.sleeps) >= 2


def test_a_timeout_beyond_the_retry_budget_records_the_error(
    engine: Engine, cursor: FakeCursor, fake_time: FakeTime
) -> None:
    cursor.fail_next(USAGE, Hang())

    outcome = run(
        engine,
        cursor,
        fake_time,
        now=dt.datetime(2024, 3, 20, 6, tzinfo=dt.UTC),
        since=dt.date(2024, 3, 18),
        settings={"vendor_timeout_seconds": 0.2, "vendor_retry_budget_seconds": 0},
    )

    assert outcome.error is not None
    assert outcome.error.startswith("cursor: ReadTimeout calling /teams/daily-usage-data")
    assert sync_state(engine).last_error == outcome.error
    assert stored(engine) == {}


def test_a_failure_halfway_keeps_complete_days_and_the_next_run_finishes(
    engine: Engine, cursor: FakeCursor, fake_time: FakeTime
) -> None:
    days = days_back(60)
    cursor.rows = generate_rows(TEAM[:12], days)
    cursor.fail_usage_after = 1  # the second 30-day window keeps failing with 500

    failed = run(
        engine, cursor, fake_time, backfill_days=60, settings={"vendor_retry_budget_seconds": 10}
    )

    first_window, second_window = days[:30], days[30:]
    assert failed.error is not None
    assert failed.error.startswith("cursor: HTTP 500 on /teams/daily-usage-data")
    assert str(second_window[0]) in failed.error
    assert failed.days_written == 30
    state = sync_state(engine)
    assert state.last_error == failed.error
    assert state.last_complete_day == first_window[-1]
    assert stored(engine) == expected(cursor.rows, first_window)

    cursor.fail_usage_after = None
    periods_before = len(cursor.usage_periods())
    resumed = run(engine, cursor, fake_time, backfill_days=60)

    assert resumed.ok, resumed.error
    assert cursor.usage_periods()[periods_before:] == [
        (epoch_ms(second_window[0]), epoch_ms(LATEST) + DAY_MS)
    ]
    assert stored(engine) == expected(cursor.rows, days)
    assert sync_state(engine).last_complete_day == LATEST


def test_a_second_sync_of_the_same_days_changes_nothing(
    engine: Engine, cursor: FakeCursor, fake_time: FakeTime
) -> None:
    days = days_back(40)
    cursor.rows = generate_rows(TEAM[:15], days)
    assert run(engine, cursor, fake_time, backfill_days=40).ok
    first = stored(engine)
    first_identities = {k: (v.id, v.person_id, v.email) for k, v in identities(engine).items()}

    again = run(engine, cursor, fake_time, since=days[0])

    assert again.ok, again.error
    assert again.days_written == 40
    assert stored(engine) == first == expected(cursor.rows, days)
    assert {
        k: (v.id, v.person_id, v.email) for k, v in identities(engine).items()
    } == first_identities


# -- malformed responses ---------------------------------------------------------------------


def test_a_malformed_row_writes_nothing_from_its_response(
    engine: Engine, cursor: FakeCursor, fake_time: FakeTime
) -> None:
    days = days_back(45)
    rows = generate_rows(TEAM[:8], days)
    broken = usage_row("secret.person@bank.example", days[40], chatRequests=3)
    del broken["email"]
    cursor.rows = [*rows, broken]

    outcome = run(engine, cursor, fake_time, backfill_days=45)

    assert outcome.error is not None
    assert outcome.error.startswith("cursor: row ")
    assert "/teams/daily-usage-data has no usable 'email'" in outcome.error
    assert "@" not in outcome.error
    # The first response (30 days) is written; nothing from the second, broken one.
    assert stored(engine) == expected(rows, days[:30])
    state = sync_state(engine)
    assert state.last_complete_day == days[29]
    assert state.last_error == outcome.error


def test_a_body_that_is_not_json_writes_nothing(
    engine: Engine, cursor: FakeCursor, fake_time: FakeTime
) -> None:
    cursor.fail_next(USAGE, Malformed())

    outcome = run(
        engine,
        cursor,
        fake_time,
        now=dt.datetime(2024, 3, 20, 6, tzinfo=dt.UTC),
        since=dt.date(2024, 3, 18),
    )

    assert outcome.error is not None
    assert outcome.error.startswith("cursor: body of /teams/daily-usage-data is not valid JSON")
    assert stored(engine) == {}
    assert sync_state(engine).last_complete_day is None


def _example_row(**changes: Any) -> dict[str, Any]:
    row: dict[str, Any] = copy.deepcopy(published("cursor-daily-usage-data.json")["data"][0])
    row.update(changes)
    return row


def _without(field: str) -> dict[str, Any]:
    row = _example_row()
    del row[field]
    return row


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ([], "without a 'data' list"),
        ({"period": {}}, "without a 'data' list"),
        ({"data": None}, "without a 'data' list"),
        ({"data": ["row"]}, "row 0 of /teams/daily-usage-data is not an object"),
        ({"data": [_without("date")]}, "no whole-number 'date'"),
        ({"data": [_example_row(date="1710720000000")]}, "no whole-number 'date'"),
        ({"data": [_example_row(date=10**30)]}, "impossible 'date'"),
        ({"data": [_without("isActive")]}, "no boolean 'isActive'"),
        ({"data": [_example_row(isActive="true")]}, "no boolean 'isActive'"),
        ({"data": [_without("email")]}, "no usable 'email'"),
        ({"data": [_example_row(email=None)]}, "no usable 'email'"),
        ({"data": [_example_row(email="not-an-email")]}, "no usable 'email'"),
        ({"data": [_example_row(totalRejects="14")]}, "no whole-number 'totalRejects'"),
        ({"data": [_example_row(chatRequests=-1)]}, "no whole-number 'chatRequests'"),
        ({"data": [_example_row(chatRequests=True)]}, "no whole-number 'chatRequests'"),
        ({"data": [_example_row(chatRequests="128")]}, "no whole-number 'chatRequests'"),
        ({"data": [_example_row(totalTabsShown=2.5)]}, "no whole-number 'totalTabsShown'"),
        ({"data": [_example_row(totalLinesAdded=2**31)]}, "implausible lines_suggested"),
        ({"data": [_example_row(), _example_row(acceptedLinesAdded="x")]}, "row 1 of"),
    ],
)
def test_malformed_usage_responses_are_refused(
    cursor: FakeCursor, fake_time: FakeTime, body: Any, problem: str
) -> None:
    cursor.usage_overrides[0] = body
    collector = make_collector(cursor, fake_time)
    try:
        with pytest.raises(MalformedReport, match=r"^cursor: ") as raised:
            list(collector.fetch([dt.date(2024, 3, 18), dt.date(2024, 3, 19)]))
    finally:
        collector.close()
    assert problem in str(raised.value)
    assert "company.com" not in str(raised.value)


def test_unknown_fields_are_ignored_and_optional_ones_optional(
    cursor: FakeCursor, fake_time: FakeTime
) -> None:
    row = _example_row(totalTabsShown=342.0, newMetric=5, nested={"a": 1})
    for optional in (
        "mostUsedModel",
        "applyMostUsedExtension",
        "tabMostUsedExtension",
        "clientVersion",
        "totalLinesDeleted",
        "acceptedLinesDeleted",
        "totalRejects",
        "subscriptionIncludedReqs",
        "apiKeyReqs",
        "usageBasedReqs",
    ):
        del row[optional]
    cursor.usage_overrides[0] = {"data": [row], "extra": True}
    collector = make_collector(cursor, fake_time)
    try:
        reports = list(collector.fetch([dt.date(2024, 3, 18)]))
    finally:
        collector.close()

    assert [r.day for r in reports] == [dt.date(2024, 3, 18)]
    (record,) = reports[0].records
    assert record.metrics["generations"] == 342 + 87


# -- day assembly ----------------------------------------------------------------------------


def test_rows_for_the_same_email_and_day_are_summed(
    engine: Engine, cursor: FakeCursor, fake_time: FakeTime
) -> None:
    cursor.rows = [
        usage_row("Dana@Bank.Example", LATEST, isActive=False, chatRequests=2, totalLinesAdded=10),
        usage_row(
            "dana@bank.example", LATEST, chatRequests=3, agentRequests=1, acceptedLinesAdded=4
        ),
    ]

    assert run(engine, cursor, fake_time, since=LATEST).ok

    row = stored(engine)[("dana@bank.example", LATEST)]
    assert row["active"] is True
    assert (row["chat_requests"], row["agent_requests"], row["interactions"]) == (5, 1, 6)
    assert (row["lines_suggested"], row["lines_accepted"]) == (10, 4)
    assert row["features"] == ["agent", "chat"]
    assert identities(engine)["dana@bank.example"].email == "dana@bank.example"


def test_every_requested_day_is_reported_even_without_rows(
    cursor: FakeCursor, fake_time: FakeTime
) -> None:
    days = [dt.date(2026, 3, 1), dt.date(2026, 3, 2), dt.date(2026, 3, 3), dt.date(2026, 4, 20)]
    cursor.rows = [usage_row("a@bank.example", days[1], cmdkUsages=1)]
    collector = make_collector(cursor, fake_time)
    try:
        reports = list(collector.fetch(days))
    finally:
        collector.close()

    assert [(r.day, len(r.records)) for r in reports] == [
        (days[0], 0),
        (days[1], 1),
        (days[2], 0),
        (days[3], 0),
    ]
    assert reports[1].records[0].metrics["features"] == ["cmdk"]
    # Days more than 30 days apart go in separate requests; a gap is not requested.
    assert cursor.usage_periods() == [
        (epoch_ms(days[0]), epoch_ms(days[2]) + DAY_MS),
        (epoch_ms(days[3]), epoch_ms(days[3]) + DAY_MS),
    ]


def test_no_days_means_no_requests(cursor: FakeCursor, fake_time: FakeTime) -> None:
    collector = make_collector(cursor, fake_time)
    try:
        assert list(collector.fetch([])) == []
    finally:
        collector.close()
    assert cursor.calls(USAGE) == []


def test_a_day_that_lost_its_rows_is_emptied_on_re_pull(
    engine: Engine, cursor: FakeCursor, fake_time: FakeTime
) -> None:
    cursor.rows = [usage_row("a@bank.example", LATEST, chatRequests=1)]
    assert run(engine, cursor, fake_time, since=LATEST).ok
    assert len(stored(engine)) == 1

    cursor.rows = []
    assert run(engine, cursor, fake_time, since=LATEST).ok

    assert stored(engine) == {}


def test_rows_dated_outside_the_window_are_ignored(
    engine: Engine, fake_time: FakeTime, caplog: pytest.LogCaptureFixture
) -> None:
    tomorrow = LATEST + dt.timedelta(days=1)
    rows = [
        usage_row("a@bank.example", LATEST, chatRequests=1),
        usage_row("b@bank.example", tomorrow, chatRequests=9),
    ]
    caplog.set_level(logging.DEBUG, logger="bot.collectors.cursor")
    with FakeCursor(api_key=KEY, clock=fake_time.clock, rows=rows, end_inclusive=True) as fake:
        assert run(engine, fake, fake_time, since=LATEST).ok

    assert set(stored(engine)) == {("a@bank.example", LATEST)}
    assert "ignored 1 row(s) dated outside" in caplog.text
    assert "@" not in caplog.text


# -- auth, secrets and set-up ----------------------------------------------------------------


def test_requests_carry_basic_auth_with_the_key_and_an_empty_password(
    engine: Engine, cursor: FakeCursor, fake_time: FakeTime
) -> None:
    assert run(engine, cursor, fake_time, since=LATEST).ok

    assert base64.b64encode(f"{KEY}:".encode()).decode() == AUTH_HEADER.removeprefix("Basic ")
    assert cursor.requests
    assert {r.headers.get("authorization") for r in cursor.requests} == {AUTH_HEADER}


def test_a_refused_key_is_recorded_without_the_key(
    engine: Engine, cursor: FakeCursor, fake_time: FakeTime, caplog: pytest.LogCaptureFixture
) -> None:
    secret = "key_SECRET_wrong_4242"
    caplog.set_level(logging.DEBUG)

    outcome = run(engine, cursor, fake_time, since=LATEST, settings={"cursor_api_key": secret})

    assert outcome.error is not None
    assert outcome.error.startswith("cursor: credentials were refused (401)")
    state = sync_state(engine)
    assert state.last_error == outcome.error
    assert secret not in state.last_error
    assert base64.b64encode(f"{secret}:".encode()).decode() not in state.last_error
    assert secret not in caplog.text
    assert stored(engine) == {} and identities(engine) == {}


def test_the_collector_needs_a_key() -> None:
    with pytest.raises(CollectorError, match="CURSOR_API_KEY"):
        CursorCollector(make_settings())


def test_the_registry_constructor_signature_works(cursor: FakeCursor) -> None:
    slept: list[float] = []
    collector = CursorCollector(
        make_settings(cursor_api_key=KEY, cursor_api_url=cursor.url), sleep=slept.append
    )
    try:
        reports = list(collector.fetch([dt.date(2024, 3, 18)]))
    finally:
        collector.close()
    assert [(r.day, len(r.records)) for r in reports] == [(dt.date(2024, 3, 18), 1)]
    assert isinstance(reports[0], DayReport)


@pytest.mark.parametrize(
    ("now", "latest"),
    [
        (dt.datetime(2026, 11, 25, 1, 59, tzinfo=dt.UTC), dt.date(2026, 11, 23)),
        (dt.datetime(2026, 11, 25, 2, 0, tzinfo=dt.UTC), dt.date(2026, 11, 24)),
        (
            dt.datetime(2026, 11, 24, 23, 0, tzinfo=dt.timezone(dt.timedelta(hours=-5))),
            dt.date(2026, 11, 24),
        ),
    ],
)
def test_a_day_is_complete_once_its_last_hour_is_aggregated(
    cursor: FakeCursor, fake_time: FakeTime, now: dt.datetime, latest: dt.date
) -> None:
    collector = make_collector(cursor, fake_time)
    try:
        assert collector.latest_complete_day(now) == latest
    finally:
        collector.close()
