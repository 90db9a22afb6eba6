"""The OpenAI collector, through the real `openai` SDK, against a fake Admin API over HTTP."""

from __future__ import annotations

import copy
import datetime as dt
import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import select

from bot.collectors.base import CollectorError, day_range
from bot.collectors.openai import OpenAICollector
from bot.sync import SyncOutcome, sync_source
from storage.engine import session as open_session
from storage.models import DailyUsage, Identity, LinkMethod, SyncState
from storage.usage import USAGE_METRICS
from tests.conftest import make_settings
from tests.factories import add_usage, make_identity, make_person, usage_row
from tests.fakes.openai_admin import (
    ADMIN_KEY,
    FakeOpenAIAdmin,
    completions_result,
    midnight,
    organization_user,
)
from tests.fakes.slack_api import Hang, RateLimited, ServerError
from tests.fakes.vendor_http import FakeVendorAPI, Reply, Truncated

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "vendor-apis"
USAGE = "/v1/organization/usage/completions"
METRICS = USAGE_METRICS
EXAMPLE_DAY = dt.date(2024, 11, 1)  # the published bucket: 1730419200..1730505600


def published(name: str) -> Any:
    """A vendor's published example payload; the suite fails (not skips) without it."""
    path = FIXTURES / name
    if not path.is_file():
        pytest.fail(f"published vendor fixture missing: {path}")
    return json.loads(path.read_text())


class RecordingSleep:
    """Records the waits the collector asks for, without waiting."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


@pytest.fixture
def sleep() -> RecordingSleep:
    return RecordingSleep()


def collector(
    api: FakeVendorAPI, sleep: RecordingSleep, *, key: str = ADMIN_KEY, **overrides: Any
) -> OpenAICollector:
    settings = make_settings(
        openai_admin_key=key,
        openai_admin_base_url=api.url + "/v1",
        vendor_timeout_seconds=overrides.pop("vendor_timeout_seconds", 5.0),
        **overrides,
    )
    return OpenAICollector(settings, sleep=sleep)


def sync(
    engine: Engine,
    api: FakeVendorAPI,
    sleep: RecordingSleep,
    *,
    now: dt.datetime,
    since: dt.date | None = None,
    until: dt.date | None = None,
    backfill_days: int = 28,
    progress: Callable[[str, int, int], None] | None = None,
    **overrides: Any,
) -> SyncOutcome:
    source = collector(api, sleep, **overrides)
    try:
        return sync_source(
            engine,
            source,
            now=now,
            since=since,
            until=until,
            backfill_days=backfill_days,
            progress=progress,
        )
    finally:
        source.close()


def stored_rows(engine: Engine) -> dict[tuple[str, dt.date], dict[str, Any]]:
    """Every OpenAI usage row, keyed by vendor user id and day."""
    with open_session(engine) as session:
        found = session.exec(
            select(DailyUsage, Identity).where(DailyUsage.identity_id == Identity.id)
        ).all()
        return {
            (identity.external_id, usage.day): {
                "tool": usage.tool,
                "source": usage.source,
                **{name: getattr(usage, name) for name in METRICS},
            }
            for usage, identity in found
            if usage.source == "openai"
        }


def identity(engine: Engine, external_id: str) -> Identity | None:
    with open_session(engine) as session:
        return session.exec(
            select(Identity).where(Identity.tool == "openai", Identity.external_id == external_id)
        ).first()


def state(engine: Engine) -> SyncState:
    with open_session(engine) as session:
        found = session.get(SyncState, "openai")
        assert found is not None
        return found


def expected(requests: int, input_tokens: int, output_tokens: int) -> dict[str, Any]:
    """A stored row: OpenAI reports requests and tokens, and no cost per user."""
    return {
        "tool": "openai",
        "source": "openai",
        "active": requests > 0,
        "interactions": requests,
        "generations": 0,
        "acceptances": 0,
        "lines_suggested": 0,
        "lines_accepted": 0,
        "chat_requests": 0,
        "agent_requests": 0,
        "cli_requests": 0,
        "input_tokens": input_tokens,
        "output_tokens": output_tokens,
        "cost_cents": None,
        "cost_kind": None,
        "features": ["api"] if requests > 0 else [],
    }


def at(day: dt.date, hour: int = 6) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=dt.UTC)


def serve_published(fake: FakeOpenAIAdmin, page: dict[str, Any]) -> None:
    """The published page first; its `next_page` cursor leads to a last, empty page."""
    fake.pages = {
        None: page,
        page["next_page"]: {"object": "page", "data": [], "has_more": False, "next_page": None},
    }
    fake.user_pages = {None: published("openai-organization-users.json")}


def generated_usage(fake: FakeOpenAIAdmin, days: list[dt.date]) -> dict[tuple[str, dt.date], Any]:
    """Three users a day with varying counts (one of them idle); returns the expected rows."""
    fake.users = [
        organization_user("user_alice", "alice@example.com"),
        organization_user("user_bob", "bob@example.com"),
        organization_user("user_carol", "carol@example.com"),
    ]
    rows = {}
    for n, day in enumerate(days):
        counts = {
            "user_alice": (n + 1, 1000 * (n + 1), 100 * (n + 1)),
            "user_bob": (2 * n + 3, 700 + n, 70 + n),
            "user_carol": (0, 0, 0),
        }
        fake.usage[day] = [completions_result(user, *c) for user, c in counts.items()]
        rows.update({(user, day): expected(*c) for user, c in counts.items()})
    return rows


# -- the published examples --------------------------------------------------------------------


def test_published_page_goes_through_the_sdk_and_skips_usage_without_a_user(
    engine: Engine, api: FakeVendorAPI, fake: FakeOpenAIAdmin, sleep: RecordingSleep
) -> None:
    page = published("openai-usage-completions.json")
    serve_published(fake, page)

    outcome = sync(
        engine, api, sleep, now=at(EXAMPLE_DAY + dt.timedelta(days=1)), since=EXAMPLE_DAY
    )

    # The published result has user_id null: usage no person can be credited with.
    assert outcome.error is None
    assert outcome.days_written == 1
    assert stored_rows(engine) == {}
    assert state(engine).last_complete_day == EXAMPLE_DAY
    first, second = fake.usage_calls()
    assert first.query == {
        "start_time": ["1730419200"],
        "end_time": ["1730505600"],
        "bucket_width": ["1d"],
        "group_by[]": ["user_id", "model"],  # the SDK's bracketed array encoding
        "limit": ["31"],
    }
    assert second.query["page"] == [page["next_page"]]
    for request in fake.usage_calls():
        assert request.headers["authorization"] == f"Bearer {ADMIN_KEY}"
        assert request.headers["user-agent"].startswith("OpenAI/Python")
        assert request.headers["x-stainless-lang"] == "python"
    assert fake.user_calls() == []  # nobody to look up


def test_published_example_grouped_by_user_gives_exactly_the_expected_row(
    engine: Engine, api: FakeVendorAPI, fake: FakeOpenAIAdmin, sleep: RecordingSleep
) -> None:
    person = make_person(engine, email="user@example.com")
    page = copy.deepcopy(published("openai-usage-completions.json"))
    users = published("openai-organization-users.json")
    page["data"][0]["results"][0]["user_id"] = users["data"][0]["id"]
    serve_published(fake, page)

    outcome = sync(
        engine, api, sleep, now=at(EXAMPLE_DAY + dt.timedelta(days=1)), since=EXAMPLE_DAY
    )

    assert outcome.error is None
    assert stored_rows(engine) == {("user_abc", EXAMPLE_DAY): expected(5, 1000, 500)}
    found = identity(engine, "user_abc")
    assert found is not None
    assert found.email == "user@example.com"
    assert found.person_id == person
    assert found.link_method == LinkMethod.EMAIL
    assert [call.headers["authorization"] for call in fake.user_calls()] == [f"Bearer {ADMIN_KEY}"]


# -- days, windows and pages --------------------------------------------------------------------


def test_backfill_is_asked_in_31_day_windows_and_follows_every_page(
    engine: Engine, api: FakeVendorAPI, fake: FakeOpenAIAdmin, sleep: RecordingSleep
) -> None:
    days = day_range(dt.date(2026, 1, 1), dt.date(2026, 2, 14))  # 45 days
    rows = generated_usage(fake, days)
    fake.max_buckets_per_page = 4
    fake.max_users_per_page = 2

    outcome = sync(engine, api, sleep, now=at(days[-1] + dt.timedelta(days=1)), since=days[0])

    assert outcome.error is None
    assert outcome.days_written == 45
    assert stored_rows(engine) == rows
    windows = {
        (int(c.arg("start_time") or 0), int(c.arg("end_time") or 0)) for c in fake.usage_calls()
    }
    assert windows == {
        (midnight(days[0]), midnight(days[31])),
        (midnight(days[31]), midnight(days[-1] + dt.timedelta(days=1))),
    }
    assert len(fake.usage_calls()) == 8 + 4  # ceil(31/4) + ceil(14/4) pages
    # The user directory is read once per run, page by page.
    assert [c.arg("after") for c in fake.user_calls()] == [None, "user_bob"]
    assert state(engine).last_complete_day == days[-1]


def test_second_sync_of_the_same_days_changes_nothing(
    engine: Engine, api: FakeVendorAPI, fake: FakeOpenAIAdmin, sleep: RecordingSleep
) -> None:
    days = day_range(dt.date(2026, 3, 1), dt.date(2026, 3, 10))
    generated_usage(fake, days)
    now = at(days[-1] + dt.timedelta(days=1))

    sync(engine, api, sleep, now=now, since=days[0])
    first = stored_rows(engine)
    with open_session(engine) as session:
        identities = session.exec(select(Identity)).all()
    again = sync(engine, api, sleep, now=now, since=days[0])

    assert again.error is None
    assert len(first) == 30
    assert stored_rows(engine) == first
    with open_session(engine) as session:
        assert session.exec(select(Identity)).all() == identities


def test_empty_bucket_is_a_complete_day_without_usage_that_replaces_stale_rows(
    engine: Engine, api: FakeVendorAPI, fake: FakeOpenAIAdmin, sleep: RecordingSleep
) -> None:
    days = day_range(dt.date(2026, 4, 1), dt.date(2026, 4, 3))
    stale = make_identity(engine, tool="openai", external_id="user_gone")
    add_usage(engine, [usage_row(stale, "openai", days[1], interactions=9)])
    fake.users = [organization_user("user_alice", "alice@example.com")]
    fake.usage[days[0]] = [completions_result("user_alice", 2, 20, 2)]
    fake.usage[days[2]] = [completions_result("user_alice", 3, 30, 3)]  # days[1]: results []

    outcome = sync(engine, api, sleep, now=at(days[-1] + dt.timedelta(days=1)), since=days[0])

    assert outcome.error is None
    assert outcome.days_written == 3
    assert stored_rows(engine) == {
        ("user_alice", days[0]): expected(2, 20, 2),
        ("user_alice", days[2]): expected(3, 30, 3),
    }
    assert state(engine).last_complete_day == days[2]


@pytest.fixture
def far_timezone(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Run in UTC+14, so a bucket read in local time lands on the wrong day."""
    monkeypatch.setenv("TZ", "Pacific/Kiritimati")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.mark.usefixtures("far_timezone")
def test_mid_day_first_bucket_and_trailing_partial_bucket_give_the_right_days(
    engine: Engine, api: FakeVendorAPI, fake: FakeOpenAIAdmin, sleep: RecordingSleep
) -> None:
    days = day_range(dt.date(2026, 5, 1), dt.date(2026, 5, 3))
    fake.users = [organization_user("user_alice", "alice@example.com")]
    for n, day in enumerate(days, start=1):
        fake.usage[day] = [completions_result("user_alice", n, 10 * n, n)]
    fake.first_bucket_offset = 13 * 3600  # the first bucket starts at 13:00 UTC
    fake.trailing_bucket = completions_result("user_late", 99, 99, 99)  # ends "now"

    outcome = sync(engine, api, sleep, now=at(days[-1] + dt.timedelta(days=1)), since=days[0])

    assert outcome.error is None
    assert stored_rows(engine) == {
        ("user_alice", days[0]): expected(1, 10, 1),
        ("user_alice", days[1]): expected(2, 20, 2),
        ("user_alice", days[2]): expected(3, 30, 3),
    }
    assert identity(engine, "user_late") is None


def test_days_the_api_has_not_produced_yet_wait_for_the_next_run(
    engine: Engine, api: FakeVendorAPI, fake: FakeOpenAIAdmin, sleep: RecordingSleep
) -> None:
    days = day_range(dt.date(2026, 6, 1), dt.date(2026, 6, 5))
    generated_usage(fake, days)
    fake.missing_days = {days[3], days[4]}

    outcome = sync(engine, api, sleep, now=at(days[-1] + dt.timedelta(days=1)), since=days[0])

    assert outcome.error is None
    assert outcome.waiting_for == days[3]
    assert {day for _, day in stored_rows(engine)} == set(days[:3])
    assert state(engine).last_complete_day == days[2]


def test_a_day_missing_between_returned_days_is_an_error(
    engine: Engine, api: FakeVendorAPI, fake: FakeOpenAIAdmin, sleep: RecordingSleep
) -> None:
    days = day_range(dt.date(2026, 6, 1), dt.date(2026, 6, 5))
    generated_usage(fake, days)
    fake.missing_days = {days[2]}

    outcome = sync(engine, api, sleep, now=at(days[-1] + dt.timedelta(days=1)), since=days[0])

    assert outcome.error is not None
    assert outcome.error.startswith("openai: ")
    assert "no bucket for 2026-06-03" in outcome.error
    assert stored_rows(engine) == {}


# -- identities -------------------------------------------------------------------------------


def test_user_ids_are_mapped_to_emails_and_linked_but_service_accounts_never_are(
    engine: Engine, api: FakeVendorAPI, fake: FakeOpenAIAdmin, sleep: RecordingSleep
) -> None:
    alice = make_person(engine, email="alice@example.com")
    make_person(engine, email="build@example.com")
    day = dt.date(2026, 7, 1)
    fake.users = [
        organization_user("user_alice", "Alice@Example.COM"),
        organization_user("user_build", "build@example.com", service_account=True),
        organization_user("user_noemail", None),
    ]
    fake.max_users_per_page = 1
    fake.usage[day] = [
        completions_result(user, 1, 1, 1)
        for user in ("user_alice", "user_build", "user_noemail", "user_left")
    ]

    outcome = sync(engine, api, sleep, now=at(day + dt.timedelta(days=1)), since=day)

    assert outcome.error is None
    assert [c.arg("after") for c in fake.user_calls()] == [None, "user_alice", "user_build"]
    linked = identity(engine, "user_alice")
    assert linked is not None
    assert (linked.email, linked.person_id, linked.link_method) == (
        "alice@example.com",
        alice,
        LinkMethod.EMAIL,
    )
    for unlinked in ("user_build", "user_noemail", "user_left"):
        found = identity(engine, unlinked)
        assert found is not None
        assert (found.email, found.person_id) == (None, None)
    assert len(stored_rows(engine)) == 4


# -- faults -------------------------------------------------------------------------------------


def one_day(fake: FakeOpenAIAdmin) -> tuple[dt.date, dict[tuple[str, dt.date], Any]]:
    day = dt.date(2026, 8, 3)
    return day, generated_usage(fake, [day])


def test_rate_limit_waits_what_retry_after_asks_then_retries(
    engine: Engine, api: FakeVendorAPI, fake: FakeOpenAIAdmin, sleep: RecordingSleep
) -> None:
    day, rows = one_day(fake)
    api.fail_next(USAGE, RateLimited(retry_after=7))

    outcome = sync(engine, api, sleep, now=at(day + dt.timedelta(days=1)), since=day)

    assert outcome.error is None
    assert stored_rows(engine) == rows
    assert len(fake.usage_calls()) == 2
    assert len(sleep.waits) == 1
    assert sleep.waits[0] >= 7


def test_rate_limit_honours_openais_retry_after_ms(
    engine: Engine, api: FakeVendorAPI, fake: FakeOpenAIAdmin, sleep: RecordingSleep
) -> None:
    day, rows = one_day(fake)
    fake.rate_limit(retry_after_ms=4500, times=2)

    outcome = sync(engine, api, sleep, now=at(day + dt.timedelta(days=1)), since=day)

    assert outcome.error is None
    assert stored_rows(engine) == rows
    assert len(fake.usage_calls()) == 3
    assert len(sleep.waits) == 2
    assert all(wait >= 4.5 for wait in sleep.waits)


def test_server_errors_are_retried(
    engine: Engine, api: FakeVendorAPI, fake: FakeOpenAIAdmin, sleep: RecordingSleep
) -> None:
    day, rows = one_day(fake)
    api.fail_next(USAGE, ServerError(500), times=2)

    outcome = sync(engine, api, sleep, now=at(day + dt.timedelta(days=1)), since=day)

    assert outcome.error is None
    assert stored_rows(engine) == rows
    assert len(fake.usage_calls()) == 3
    assert len(sleep.waits) == 2


def test_a_request_that_times_out_is_retried(
    engine: Engine, api: FakeVendorAPI, fake: FakeOpenAIAdmin, sleep: RecordingSleep
) -> None:
    day, rows = one_day(fake)
    api.fail_next(USAGE, Hang())
    started = time.monotonic()

    outcome = sync(
        engine,
        api,
        sleep,
        now=at(day + dt.timedelta(days=1)),
        since=day,
        vendor_timeout_seconds=0.2,
    )

    assert time.monotonic() - started < 3
    assert outcome.error is None
    assert stored_rows(engine) == rows
    assert len(fake.usage_calls()) == 2
    assert len(sleep.waits) == 1


def test_a_truncated_body_is_retried(
    engine: Engine, api: FakeVendorAPI, fake: FakeOpenAIAdmin, sleep: RecordingSleep
) -> None:
    day, rows = one_day(fake)
    api.fail_next(USAGE, Truncated())

    outcome = sync(engine, api, sleep, now=at(day + dt.timedelta(days=1)), since=day)

    assert outcome.error is None
    assert stored_rows(engine) == rows
    assert len(fake.usage_calls()) == 2


def test_giving_up_within_the_retry_budget_records_the_error(
    engine: Engine, api: FakeVendorAPI, fake: FakeOpenAIAdmin, sleep: RecordingSleep
) -> None:
    day, _ = one_day(fake)
    api.fail_next(USAGE, ServerError(503), times=50)

    outcome = sync(
        engine,
        api,
        sleep,
        now=at(day + dt.timedelta(days=1)),
        since=day,
        vendor_retry_budget_seconds=10,
    )

    assert outcome.error is not None
    assert outcome.error.startswith("openai: HTTP 503 on /organization/usage/completions")
    assert "gave up" in outcome.error
    assert sum(sleep.waits) <= 10
    assert stored_rows(engine) == {}
    assert state(engine).last_error == outcome.error


def test_a_retry_after_beyond_the_budget_is_not_waited_for(
    engine: Engine, api: FakeVendorAPI, fake: FakeOpenAIAdmin, sleep: RecordingSleep
) -> None:
    day, _ = one_day(fake)
    api.fail_next(USAGE, RateLimited(retry_after=3600))

    outcome = sync(
        engine,
        api,
        sleep,
        now=at(day + dt.timedelta(days=1)),
        since=day,
        vendor_retry_budget_seconds=60,
    )

    assert outcome.error is not None
    assert "HTTP 429" in outcome.error
    assert sleep.waits == []
    assert len(fake.usage_calls()) == 1


def test_failure_halfway_through_a_backfill_keeps_complete_days_and_the_next_run_finishes(
    engine: Engine, api: FakeVendorAPI, fake: FakeOpenAIAdmin, sleep: RecordingSleep
) -> None:
    days = day_range(dt.date(2026, 9, 1), dt.date(2026, 10, 10))  # 40 days: windows of 31 + 9
    rows = generated_usage(fake, days)
    now = at(days[-1] + dt.timedelta(days=1))

    def break_after_first_window(_source: str, written: int, _total: int) -> None:
        if written == 31:
            fake.queued_replies.extend([Reply({"error": {"message": "boom"}}, status=500)] * 50)

    failed = sync(
        engine,
        api,
        sleep,
        now=now,
        backfill_days=40,
        progress=break_after_first_window,
        vendor_retry_budget_seconds=5,
    )

    assert failed.error is not None
    assert failed.days_written == 31
    assert stored_rows(engine) == {key: row for key, row in rows.items() if key[1] <= days[30]}
    after_failure = state(engine)
    assert after_failure.last_complete_day == days[30]
    assert after_failure.last_error is not None
    assert after_failure.last_error.startswith("openai: HTTP 500")
    assert "2026-10-02" in after_failure.last_error  # the day it was pulling

    fake.queued_replies.clear()  # the outage is over
    finished = sync(engine, api, sleep, now=now, backfill_days=40)

    assert finished.error is None
    assert stored_rows(engine) == rows
    assert state(engine).last_complete_day == days[-1]


def _not_json(fake: FakeOpenAIAdmin, first_day: dt.date) -> None:
    fake.broken_pages[(first_day, 1)] = Reply('{"object": "page", "data": [{"obj')


def _missing_requests(fake: FakeOpenAIAdmin, first_day: dt.date) -> None:
    result = completions_result("user_alice", 1, 1, 1)
    del result["num_model_requests"]
    fake.raw_results[first_day + dt.timedelta(days=2)] = [result]


def _mistyped_tokens(fake: FakeOpenAIAdmin, first_day: dt.date) -> None:
    result = completions_result("user_alice", 1, 1, 1)
    result["input_tokens"] = "lots"
    fake.raw_results[first_day + dt.timedelta(days=3)] = [result]


def _results_not_a_list(fake: FakeOpenAIAdmin, first_day: dt.date) -> None:
    fake.raw_results[first_day + dt.timedelta(days=2)] = {"user_alice": 1}


def _negative_count(fake: FakeOpenAIAdmin, first_day: dt.date) -> None:
    fake.raw_results[first_day + dt.timedelta(days=3)] = [
        completions_result("user_alice", -1, 1, 1)
    ]


def _more_pages_without_cursor(fake: FakeOpenAIAdmin, first_day: dt.date) -> None:
    fake.broken_pages[(first_day, 1)] = Reply(
        {"object": "page", "data": [], "has_more": True, "next_page": None}
    )


def _html_page(fake: FakeOpenAIAdmin, first_day: dt.date) -> None:
    fake.broken_pages[(first_day, 1)] = Reply("<html>maintenance</html>", content_type="text/html")


@pytest.mark.parametrize(
    "breakage",
    [
        _not_json,
        _missing_requests,
        _mistyped_tokens,
        _results_not_a_list,
        _negative_count,
        _more_pages_without_cursor,
        _html_page,
    ],
)
def test_a_malformed_page_writes_nothing_from_its_window(
    engine: Engine,
    api: FakeVendorAPI,
    fake: FakeOpenAIAdmin,
    sleep: RecordingSleep,
    breakage: Callable[[FakeOpenAIAdmin, dt.date], None],
) -> None:
    days = day_range(dt.date(2026, 11, 1), dt.date(2026, 11, 4))
    generated_usage(fake, days)
    fake.max_buckets_per_page = 2  # days[0:2] on page 0, days[2:4] on page 1
    breakage(fake, days[0])
    before = make_identity(engine, tool="openai", external_id="user_alice")
    add_usage(engine, [usage_row(before, "openai", days[0], interactions=42)])

    outcome = sync(engine, api, sleep, now=at(days[-1] + dt.timedelta(days=1)), since=days[0])

    assert outcome.error is not None
    assert outcome.error.startswith("openai: ")
    assert outcome.days_written == 0
    assert stored_rows(engine) == {
        ("user_alice", days[0]): {**expected(0, 0, 0), "active": True, "interactions": 42}
    }
    assert state(engine).last_error == outcome.error
    assert state(engine).last_complete_day is None
    assert sleep.waits == []  # a malformed page is not retried


def test_a_malformed_users_page_writes_nothing(
    engine: Engine, api: FakeVendorAPI, fake: FakeOpenAIAdmin, sleep: RecordingSleep
) -> None:
    day, _ = one_day(fake)
    fake.user_pages = {
        None: {"object": "list", "data": [{"email": "x@example.com"}], "has_more": False}
    }

    outcome = sync(engine, api, sleep, now=at(day + dt.timedelta(days=1)), since=day)

    assert outcome.error is not None
    assert outcome.error.startswith("openai: a page of /organization/users")
    assert "@" not in outcome.error
    assert stored_rows(engine) == {}


# -- credentials -------------------------------------------------------------------------------


def test_a_refused_key_is_reported_without_the_key_or_the_apis_echo_of_it(
    engine: Engine, api: FakeVendorAPI, fake: FakeOpenAIAdmin, sleep: RecordingSleep
) -> None:
    day, _ = one_day(fake)
    wrong = "sk-admin-WRONGkey0123456789zyxw"

    outcome = sync(engine, api, sleep, now=at(day + dt.timedelta(days=1)), since=day, key=wrong)

    error = state(engine).last_error
    assert error is not None
    assert error.startswith("openai: the admin key was refused (HTTP 401)")
    for secret in (wrong, wrong[:8], wrong[-4:], ADMIN_KEY, "Incorrect API key"):
        assert secret not in error
    assert outcome.error == error
    assert [c.headers["authorization"] for c in fake.usage_calls()] == [f"Bearer {wrong}"]
    assert stored_rows(engine) == {}


def test_the_environment_does_not_change_what_is_sent(
    engine: Engine,
    api: FakeVendorAPI,
    fake: FakeOpenAIAdmin,
    sleep: RecordingSleep,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-proj-FROMENVIRONMENT0000")
    monkeypatch.setenv("OPENAI_ADMIN_KEY", "sk-admin-FROMENVIRONMENT000")
    monkeypatch.setenv("OPENAI_ORG_ID", "org-environment")
    monkeypatch.setenv("OPENAI_PROJECT_ID", "proj_environment")
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    day, rows = one_day(fake)

    outcome = sync(engine, api, sleep, now=at(day + dt.timedelta(days=1)), since=day)

    assert outcome.error is None
    assert stored_rows(engine) == rows
    for request in api.requests:
        assert request.headers["authorization"] == f"Bearer {ADMIN_KEY}"
        assert "openai-organization" not in request.headers
        assert "openai-project" not in request.headers


def test_no_admin_key_means_no_collector_even_with_one_in_the_environment(
    api: FakeVendorAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_ADMIN_KEY", "sk-admin-FROMENVIRONMENT000")
    settings = make_settings(openai_admin_key=None, openai_admin_base_url=api.url + "/v1")

    with pytest.raises(CollectorError, match="OPENAI_ADMIN_KEY is not set"):
        OpenAICollector(settings)
