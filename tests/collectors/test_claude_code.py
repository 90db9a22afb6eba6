"""The Claude Code collector against a fake Anthropic Admin API over real HTTP."""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import col, select

from bot.collectors.base import CollectorError, DayReport, MalformedReport, day_range
from bot.collectors.claude_code import ClaudeCodeCollector
from bot.sync import sync_source
from storage import outcomes, queries
from storage.engine import session as open_session
from storage.models import DailyUsage, Identity, SyncState
from tests.conftest import make_settings
from tests.factories import make_person
from tests.fakes.anthropic import (
    ADMIN_KEY,
    PUBLISHED_DAY,
    FakeAnthropic,
    anthropic_error,
    claude_code_row,
    generated_day,
    model_usage,
    published_report,
)
from tests.fakes.slack_api import Hang, Malformed, RateLimited, ServerError, Slow
from tests.fakes.vendor_http import Reply, Truncated

DAY = PUBLISHED_DAY  # 2025-08-08
NOW = dt.datetime(2025, 8, 9, 12, 0, tzinfo=dt.UTC)
PUBLISHED_EMAIL = "user@emaildomain.com"

# The published example, worked out by hand from the fixture:
# generations = (25+3) + (12+1) + (5+2) + (8+0); acceptances = 25 + 12 + 5 + 8;
# input = (45230 + 2340 + 8790) + (23100 + 890 + 3420); output = 12450 + 5680; cost = 186 + 42.
PUBLISHED_ROW: dict[str, Any] = {
    "tool": "claude_code",
    "source": "claude_code",
    "active": True,
    "interactions": 15,
    "generations": 56,
    "acceptances": 50,
    "lines_suggested": 0,
    "lines_accepted": 342,
    "chat_requests": 0,
    "agent_requests": 0,
    "cli_requests": 0,
    "input_tokens": 83770,
    "output_tokens": 18130,
    "cost_cents": 228,
    "cost_kind": "estimated",
    "features": [
        "commits",
        "edit_tool",
        "multi_edit_tool",
        "notebook_edit_tool",
        "pull_requests",
        "write_tool",
    ],
}

MakeCollector = Callable[..., ClaudeCodeCollector]


@pytest.fixture
def fake() -> Iterator[FakeAnthropic]:
    """The fake Admin API holding the published example for 2025-08-08."""
    with FakeAnthropic() as server:
        yield server


@pytest.fixture
def sleeps() -> list[float]:
    """Every back-off wait the collector asked for (none is really slept)."""
    return []


@pytest.fixture
def make_collector(sleeps: list[float]) -> Iterator[MakeCollector]:
    """Build collectors pointed at a fake; all are closed after the test."""
    made: list[ClaudeCodeCollector] = []

    def build(fake: FakeAnthropic, **overrides: Any) -> ClaudeCodeCollector:
        values: dict[str, Any] = {
            "anthropic_admin_key": ADMIN_KEY,
            "anthropic_api_url": fake.url,
            "vendor_timeout_seconds": 5.0,
            "vendor_retry_budget_seconds": 60.0,
            **overrides,
        }
        collector = ClaudeCodeCollector(make_settings(**values), sleep=sleeps.append)
        made.append(collector)
        return collector

    yield build
    for collector in made:
        collector.close()


def stored(engine: Engine) -> dict[tuple[str, dt.date], dict[str, Any]]:
    """Every daily usage row, keyed by (external id, day), with all its metrics."""
    with open_session(engine) as session:
        pairs = session.exec(
            select(DailyUsage, Identity).join(
                Identity, col(Identity.id) == col(DailyUsage.identity_id)
            )
        ).all()
    return {
        (identity.external_id, usage.day): {
            "tool": usage.tool,
            "source": usage.source,
            **{metric: getattr(usage, metric) for metric in queries.USAGE_METRICS},
        }
        for usage, identity in pairs
    }


def identity(engine: Engine, external_id: str) -> Identity:
    with open_session(engine) as session:
        found = session.exec(
            select(Identity).where(
                Identity.tool == "claude_code", Identity.external_id == external_id
            )
        ).one()
    return found


def identity_count(engine: Engine) -> int:
    with open_session(engine) as session:
        return queries.count_rows(session, Identity)


def state(engine: Engine) -> SyncState:
    with open_session(engine) as session:
        found = queries.sync_state(session, "claude_code")
    assert found is not None
    return found


def fetch_one(collector: ClaudeCodeCollector, day: dt.date = DAY) -> DayReport:
    (report,) = list(collector.fetch([day]))
    return report


def metrics_by_id(report: DayReport) -> dict[str, dict[str, Any]]:
    return {record.external_id: record.metrics for record in report.records}


# -- the published example ------------------------------------------------------------------------


def test_published_example_is_stored_exactly(
    engine: Engine, fake: FakeAnthropic, make_collector: MakeCollector
) -> None:
    published = published_report()
    # Served byte-for-byte as documented (has_more true), then a last page at its cursor.
    fake.set_pages(DAY, [published, {"data": [], "has_more": False, "next_page": None}])

    outcome = sync_source(engine, make_collector(fake), now=NOW, since=DAY)

    assert outcome.ok, outcome.error
    assert (outcome.days_written, outcome.rows_written) == (1, 1)
    assert stored(engine) == {(PUBLISHED_EMAIL, DAY): PUBLISHED_ROW}
    user = identity(engine, PUBLISHED_EMAIL)
    assert user.email == PUBLISHED_EMAIL
    assert user.person_id is None
    assert [call.arg("page") for call in fake.calls()] == [None, published["next_page"]]
    assert {call.arg("starting_at") for call in fake.calls()} == {"2025-08-08"}
    sync = state(engine)
    assert sync.last_complete_day == DAY
    assert sync.last_error is None


def test_default_dataset_paginated_by_the_fake_gives_the_same_row(
    engine: Engine, fake: FakeAnthropic, make_collector: MakeCollector
) -> None:
    outcome = sync_source(engine, make_collector(fake), now=NOW, backfill_days=1)

    assert outcome.ok, outcome.error
    assert stored(engine) == {(PUBLISHED_EMAIL, DAY): PUBLISHED_ROW}


def test_requests_carry_the_documented_headers_and_parameters(
    fake: FakeAnthropic, make_collector: MakeCollector
) -> None:
    fetch_one(make_collector(fake))

    (call,) = fake.calls()
    assert call.headers["x-api-key"] == ADMIN_KEY
    assert call.headers["anthropic-version"] == "2023-06-01"
    assert call.headers["user-agent"].startswith("uptake")
    assert call.arg("starting_at") == "2025-08-08"
    assert call.arg("limit") == "1000"
    assert call.arg("page") is None


def test_a_second_sync_of_the_same_days_changes_nothing(
    engine: Engine, fake: FakeAnthropic, make_collector: MakeCollector
) -> None:
    earlier = DAY - dt.timedelta(days=1)
    fake.set_rows(earlier, generated_day(earlier, 30))

    first = sync_source(engine, make_collector(fake), now=NOW, since=earlier)
    before = stored(engine)
    identities = identity_count(engine)
    second = sync_source(engine, make_collector(fake), now=NOW, since=earlier)

    assert first.ok and second.ok
    assert first.rows_written == second.rows_written == 31
    assert len(before) == 31
    assert stored(engine) == before
    assert identity_count(engine) == identities


# -- pagination and summing -----------------------------------------------------------------------


def test_two_pages_for_one_day_are_combined(engine: Engine, make_collector: MakeCollector) -> None:
    rows = [
        claude_code_row(DAY, email="alice@example.com", sessions=2),
        claude_code_row(DAY, email="bob@example.com", sessions=3),
        claude_code_row(DAY, email="carol@example.com", sessions=4),
    ]
    with FakeAnthropic(days={DAY: rows}, max_page_size=2) as fake:
        outcome = sync_source(engine, make_collector(fake), now=NOW, since=DAY)
        calls = fake.calls()

    assert outcome.ok, outcome.error
    assert len(calls) == 2
    assert calls[0].arg("page") is None
    assert (calls[1].arg("page") or "").startswith("page_")
    assert {key: row["interactions"] for key, row in stored(engine).items()} == {
        ("alice@example.com", DAY): 2,
        ("bob@example.com", DAY): 3,
        ("carol@example.com", DAY): 4,
    }


def test_rows_of_the_same_actor_are_summed_across_terminals_and_pages(
    engine: Engine, make_collector: MakeCollector
) -> None:
    rows = [
        claude_code_row(
            DAY,
            email="Alice@Example.com",
            terminal_type="vscode",
            sessions=2,
            lines_added=10,
            commits=1,
            tools={"edit_tool": (3, 1)},
            models=[
                model_usage(input=100, output=20, cache_read=5, cache_creation=7, cost_cents=12.4)
            ],
        ),
        claude_code_row(DAY, email="bob@example.com", sessions=1),
        claude_code_row(
            DAY,
            email="alice@example.com",
            terminal_type="iTerm.app",
            customer_type="api",
            sessions=3,
            lines_added=5,
            tools={"write_tool": (2, 0), "notebook_edit_tool": (0, 0)},
            models=[model_usage("claude-3-5-haiku-20241022", input=50, output=10, cost_cents=3.2)],
        ),
    ]
    with FakeAnthropic(days={DAY: rows}, max_page_size=2) as fake:
        outcome = sync_source(engine, make_collector(fake), now=NOW, since=DAY)

    assert outcome.ok, outcome.error
    rows_by_key = stored(engine)
    assert set(rows_by_key) == {("alice@example.com", DAY), ("bob@example.com", DAY)}
    alice = rows_by_key[("alice@example.com", DAY)]
    assert alice == {
        "tool": "claude_code",
        "source": "claude_code",
        "active": True,
        "interactions": 5,
        "generations": 6,
        "acceptances": 5,
        "lines_suggested": 0,
        "lines_accepted": 15,
        "chat_requests": 0,
        "agent_requests": 0,
        "cli_requests": 0,
        "input_tokens": 162,
        "output_tokens": 30,
        "cost_cents": 16,  # 12.4 + 3.2 = 15.6 cents
        "cost_kind": "estimated",
        "features": ["commits", "edit_tool", "write_tool"],
    }
    assert identity(engine, "alice@example.com").email == "alice@example.com"


def test_a_large_generated_day_spans_pages_and_sums_every_person(
    engine: Engine, make_collector: MakeCollector
) -> None:
    people = 2500
    rows = generated_day(DAY, people)
    assert len(rows) > 3000  # every third person has two rows
    with FakeAnthropic(days={DAY: rows}) as fake:
        outcome = sync_source(engine, make_collector(fake), now=NOW, since=DAY)
        calls = fake.calls()

    assert outcome.ok, outcome.error
    assert len(calls) == -(-len(rows) // 1000)
    result = stored(engine)
    assert len(result) == people
    assert sum(r["interactions"] for r in result.values()) == sum(i % 5 for i in range(people))
    assert sum(r["acceptances"] for r in result.values()) == sum(i % 4 for i in range(people))
    assert sum(r["generations"] for r in result.values()) == sum(
        i % 4 + i % 3 for i in range(people)
    )
    assert sum(r["input_tokens"] for r in result.values()) == sum(100 + i for i in range(people))
    assert sum(r["cost_cents"] for r in result.values()) == sum(i % 7 for i in range(people))
    # Person 1998 was split over two rows (1998 % 3 == 0).
    split = result[("engineer01998@example.com", DAY)]
    assert (split["interactions"], split["lines_accepted"], split["output_tokens"]) == (
        1998 % 5,
        1998 % 50,
        10 + 1998,
    )
    assert split["features"] == ["edit_tool"]


# -- actors and linking ---------------------------------------------------------------------------


def test_an_api_key_actor_is_kept_unlinked_under_its_key_name(
    engine: Engine, make_collector: MakeCollector
) -> None:
    make_person(engine, email="ci-pipeline@example.com")
    rows = [
        claude_code_row(DAY, api_key_name="ci-pipeline", sessions=4, tools={"edit_tool": (1, 0)})
    ]
    with FakeAnthropic(days={DAY: rows}) as fake:
        outcome = sync_source(engine, make_collector(fake), now=NOW, since=DAY)

    assert outcome.ok, outcome.error
    assert set(stored(engine)) == {("api_key:ci-pipeline", DAY)}
    key = identity(engine, "api_key:ci-pipeline")
    assert key.email is None
    assert key.person_id is None
    assert key.verified is False


def test_a_user_actor_with_a_known_email_is_linked_and_verified(
    engine: Engine, fake: FakeAnthropic, make_collector: MakeCollector
) -> None:
    person_id = make_person(engine, email="User@EmailDomain.com")

    outcome = sync_source(engine, make_collector(fake), now=NOW, since=DAY)

    assert outcome.ok, outcome.error
    user = identity(engine, PUBLISHED_EMAIL)
    assert user.person_id == person_id
    assert user.verified is True
    assert user.link_method == "email"
    with open_session(engine) as session:
        (usage,) = queries.usage_rows_for_person(session, person_id, DAY, DAY)
    assert (usage.tool, usage.interactions, usage.cost_cents) == ("claude_code", 15, 228)


@pytest.mark.parametrize(
    "date",
    ["2025-08-08", "2025-08-08T00:00:00Z", "2025-08-08T00:00:00.000Z", "2025-08-08T00:00:00+00:00"],
)
def test_both_date_forms_are_accepted(
    date: str, fake: FakeAnthropic, make_collector: MakeCollector
) -> None:
    row = claude_code_row(DAY, email="alice@example.com", sessions=2)
    row["date"] = date
    fake.set_rows(DAY, [row, claude_code_row(DAY, email="bob@example.com", date_style="date")])

    report = fetch_one(make_collector(fake))

    assert metrics_by_id(report)["alice@example.com"]["interactions"] == 2
    assert metrics_by_id(report)["bob@example.com"]["interactions"] == 1


@pytest.mark.parametrize(
    "date", ["2025-08-07T00:00:00Z", "2025-08-09", "2025-08-08T23:00:00-02:00"]
)
def test_a_row_for_another_day_is_malformed(
    date: str, engine: Engine, fake: FakeAnthropic, make_collector: MakeCollector
) -> None:
    row = claude_code_row(DAY, email="alice@example.com")
    row["date"] = date
    fake.set_rows(DAY, [claude_code_row(DAY, email="bob@example.com"), row])

    outcome = sync_source(engine, make_collector(fake), now=NOW, since=DAY)

    assert outcome.error is not None
    assert stored(engine) == {}
    error = state(engine).last_error or ""
    assert error.startswith("claude_code: ")
    assert "not the requested day" in error
    assert "@" not in error


# -- metrics edge cases ---------------------------------------------------------------------------


def test_cost_in_another_currency_or_missing_is_left_unknown(
    fake: FakeAnthropic, make_collector: MakeCollector
) -> None:
    fake.set_rows(
        DAY,
        [
            claude_code_row(
                DAY,
                email="euro@example.com",
                models=[
                    model_usage(input=10, output=1, cost_cents=5),
                    model_usage(input=10, output=1, cost_cents=7, currency="EUR"),
                ],
            ),
            claude_code_row(
                DAY,
                email="partial@example.com",
                models=[model_usage(cost_cents=5), model_usage(cost_cents=None)],
            ),
            claude_code_row(DAY, email="string@example.com", models=[model_usage(cost_cents=None)]),
        ],
    )
    fake.days[DAY][2]["model_breakdown"][0]["estimated_cost"] = {
        "currency": "USD",
        "amount": "12.5",
    }

    metrics = metrics_by_id(fetch_one(make_collector(fake)))

    assert (
        metrics["euro@example.com"]["cost_cents"],
        metrics["euro@example.com"]["cost_kind"],
    ) == (
        None,
        None,
    )
    assert metrics["euro@example.com"]["input_tokens"] == 20
    assert metrics["partial@example.com"]["cost_cents"] is None
    assert (
        metrics["string@example.com"]["cost_cents"],
        metrics["string@example.com"]["cost_kind"],
    ) == (
        13,
        "estimated",
    )


def test_optional_fields_may_be_absent_and_unknown_ones_are_ignored(
    fake: FakeAnthropic, make_collector: MakeCollector
) -> None:
    sparse = {
        "date": "2025-08-08",
        "actor": {"type": "user_actor", "email_address": "sparse@example.com", "id": "u_1"},
        "core_metrics": {"num_sessions": 0, "lines_of_code": {"added": 0}, "new_metric": 9},
        "brand_new_section": {"anything": [1, 2, 3]},
    }
    newer_tool = claude_code_row(
        DAY, email="tools@example.com", sessions=0, tools={"future_tool": (2, 1)}
    )
    del newer_tool["core_metrics"]["commits_by_claude_code"]
    tokens_only = claude_code_row(
        DAY, api_key_name="batch", sessions=0, models=[model_usage(input=1, output=0)]
    )
    del tokens_only["model_breakdown"][0]["tokens"]["cache_read"]
    fake.set_rows(DAY, [sparse, newer_tool, tokens_only])

    metrics = metrics_by_id(fetch_one(make_collector(fake)))

    sparse_metrics = metrics["sparse@example.com"]
    assert {key: sparse_metrics.get(key) for key in outcomes.COLLECTED_COLUMNS} == {
        **outcomes.no_outcomes(),
        "lines_added": 0,
    }
    assert {key: sparse_metrics[key] for key in queries.USAGE_METRICS if key in sparse_metrics} == {
        "active": False,
        "interactions": 0,
        "generations": 0,
        "acceptances": 0,
        "lines_suggested": 0,
        "lines_accepted": 0,
        "input_tokens": 0,
        "output_tokens": 0,
        "cost_cents": 0,
        "cost_kind": "estimated",
        "features": [],
    }
    assert metrics["tools@example.com"]["active"] is True
    assert metrics["tools@example.com"]["features"] == ["future_tool"]
    assert (
        metrics["tools@example.com"]["generations"],
        metrics["tools@example.com"]["acceptances"],
    ) == (3, 2)
    assert metrics["api_key:batch"]["active"] is True
    assert metrics["api_key:batch"]["input_tokens"] == 1


def test_an_empty_day_is_complete_and_replaces_what_was_there(
    engine: Engine, fake: FakeAnthropic, make_collector: MakeCollector
) -> None:
    sync_source(engine, make_collector(fake), now=NOW, since=DAY)
    assert len(stored(engine)) == 1
    fake.set_rows(DAY, [])

    outcome = sync_source(engine, make_collector(fake), now=NOW, since=DAY)

    assert outcome.ok, outcome.error
    assert outcome.days_written == 1
    assert stored(engine) == {}
    assert state(engine).last_complete_day == DAY


def test_the_latest_complete_day_waits_for_the_vendors_hour_of_lag(
    make_collector: MakeCollector, fake: FakeAnthropic
) -> None:
    collector = make_collector(fake)

    def at(hour: int, minute: int = 0) -> dt.date:
        return collector.latest_complete_day(dt.datetime(2025, 8, 9, hour, minute, tzinfo=dt.UTC))

    assert at(0, 30) == dt.date(2025, 8, 7)
    assert at(1, 59) == dt.date(2025, 8, 7)
    assert at(2, 0) == dt.date(2025, 8, 8)
    assert at(23, 59) == dt.date(2025, 8, 8)
    assert ClaudeCodeCollector.history_days is None


# -- malformed payloads ---------------------------------------------------------------------------


def _bad(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    """Set (or, with ..., delete) a dotted path in a row."""

    def mutate(row: dict[str, Any]) -> None:
        *parents, leaf = path.split(".")
        target: Any = row
        for part in parents:
            target = target[int(part)] if isinstance(target, list) else target[part]
        if value is ...:
            del target[leaf]
        else:
            target[leaf] = value

    return mutate


@pytest.mark.parametrize(
    ("mutate", "problem"),
    [
        (_bad("actor", ...), "actor is missing"),
        (_bad("actor", {"type": "service_actor", "id": "x"}), "unknown actor type"),
        (_bad("actor", {"type": "user_actor"}), "user_actor has no email_address"),
        (_bad("actor", {"type": "api_actor", "api_key_name": " "}), "api_actor has no"),
        (_bad("date", ...), "date is missing"),
        (_bad("date", "08/08/2025"), "neither YYYY-MM-DD"),
        (_bad("core_metrics", [1]), "core_metrics is missing or not an object"),
        (_bad("core_metrics.num_sessions", "15"), "num_sessions"),
        (_bad("core_metrics.num_sessions", True), "num_sessions"),
        (_bad("core_metrics.lines_of_code.added", -1), "lines_of_code.added"),
        (_bad("tool_actions.edit_tool.rejected", "3"), "tool_actions.edit_tool.rejected"),
        (_bad("model_breakdown", {"model": "x"}), "model_breakdown is not a list"),
        (_bad("model_breakdown.0.tokens.output", 1.5), "tokens.output"),
        (_bad("model_breakdown.0.estimated_cost.amount", "lots"), "amount"),
        (_bad("model_breakdown.0.estimated_cost.currency", ...), "currency"),
    ],
)
def test_a_malformed_row_fails_the_day(
    mutate: Callable[[dict[str, Any]], None],
    problem: str,
    fake: FakeAnthropic,
    make_collector: MakeCollector,
) -> None:
    rows = copy.deepcopy(fake.days[DAY])
    mutate(rows[0])
    fake.set_rows(DAY, [claude_code_row(DAY, email="fine@example.com"), *rows])

    with pytest.raises(MalformedReport) as caught:
        fetch_one(make_collector(fake))

    message = str(caught.value)
    assert message.startswith("claude_code: usage report for 2025-08-08, page 1, row 1: ")
    assert problem in message
    assert "@" not in message


@pytest.mark.parametrize(
    ("pages", "problem"),
    [
        ([{"has_more": False}], "no 'data' list"),
        ([{"data": {}, "has_more": False}], "no 'data' list"),
        ([{"data": []}], "no boolean 'has_more'"),
        ([{"data": [], "has_more": "false"}], "no boolean 'has_more'"),
        ([{"data": [], "has_more": True, "next_page": None}], "gives no next_page"),
        (
            [
                {"data": [], "has_more": True, "next_page": "page_QQ=="},
                {"data": [], "has_more": True, "next_page": "page_QQ=="},
            ],
            "repeated a page cursor",
        ),
        ([[{"data": []}]], "not a JSON object"),
    ],
)
def test_a_malformed_page_fails_the_day(
    pages: list[Any], problem: str, fake: FakeAnthropic, make_collector: MakeCollector
) -> None:
    fake.set_pages(DAY, pages)

    with pytest.raises(MalformedReport, match=problem):
        fetch_one(make_collector(fake))


def test_a_malformed_page_writes_nothing_and_records_the_error(
    engine: Engine, make_collector: MakeCollector
) -> None:
    earlier = DAY - dt.timedelta(days=1)
    good = [claude_code_row(DAY, email=f"p{n}@example.com", sessions=n + 1) for n in range(3)]
    with FakeAnthropic(
        days={earlier: [claude_code_row(earlier, email="p0@example.com")], DAY: good},
        max_page_size=2,
    ) as fake:
        first = sync_source(engine, make_collector(fake), now=NOW, since=DAY)
        assert first.ok, first.error
        before = stored(engine)
        broken = copy.deepcopy(good)
        broken[2]["core_metrics"]["num_sessions"] = "3"  # on the second page
        fake.set_rows(DAY, broken)

        outcome = sync_source(engine, make_collector(fake), now=NOW, since=earlier)

    assert outcome.error is not None
    assert outcome.days_written == 1  # the earlier day
    after = stored(engine)
    # The earlier day was written; the re-pulled day keeps its previous, complete rows.
    assert {key: value for key, value in after.items() if key[1] == DAY} == before
    assert [key for key in after if key[1] == earlier] == [("p0@example.com", earlier)]
    sync = state(engine)
    assert sync.last_error is not None
    assert sync.last_error.startswith("claude_code: usage report for 2025-08-08, page 2, row 0")
    assert "while pulling 2025-08-08" in sync.last_error
    assert "@" not in sync.last_error


def test_a_body_that_is_not_json_writes_nothing(
    engine: Engine, fake: FakeAnthropic, make_collector: MakeCollector
) -> None:
    fake.fail_next(Malformed())

    outcome = sync_source(engine, make_collector(fake), now=NOW, since=DAY)

    assert outcome.error is not None
    assert stored(engine) == {}
    assert "claude_code: body of /v1/organizations/usage_report/claude_code is not valid JSON" in (
        state(engine).last_error or ""
    )
    assert state(engine).last_complete_day is None


# -- faults and retries ---------------------------------------------------------------------------


def test_a_429_waits_as_long_as_retry_after_asks(
    fake: FakeAnthropic, make_collector: MakeCollector, sleeps: list[float]
) -> None:
    fake.fail_next(RateLimited(retry_after=7))

    report = fetch_one(make_collector(fake))

    assert metrics_by_id(report)[PUBLISHED_EMAIL]["interactions"] == 15
    assert sleeps == [7.0]
    assert len(fake.calls()) == 2


def test_a_500_is_retried(
    fake: FakeAnthropic, make_collector: MakeCollector, sleeps: list[float]
) -> None:
    fake.fail_next(ServerError(500), times=2)

    report = fetch_one(make_collector(fake))

    assert metrics_by_id(report)[PUBLISHED_EMAIL]["interactions"] == 15
    assert len(sleeps) == 2
    assert len(fake.calls()) == 3


def test_a_timeout_is_retried(
    fake: FakeAnthropic, make_collector: MakeCollector, sleeps: list[float]
) -> None:
    fake.fail_next(Hang())

    report = fetch_one(make_collector(fake, vendor_timeout_seconds=0.2))

    assert metrics_by_id(report)[PUBLISHED_EMAIL]["interactions"] == 15
    assert len(sleeps) == 1
    assert len(fake.calls()) == 2


def test_a_slow_answer_within_the_timeout_is_simply_waited_for(
    fake: FakeAnthropic, make_collector: MakeCollector, sleeps: list[float]
) -> None:
    fake.fail_next(Slow(0.3))

    report = fetch_one(make_collector(fake, vendor_timeout_seconds=2.0))

    assert metrics_by_id(report)[PUBLISHED_EMAIL]["interactions"] == 15
    assert sleeps == []
    assert len(fake.calls()) == 1


def test_a_timeout_beyond_the_retry_budget_is_an_error(
    fake: FakeAnthropic, make_collector: MakeCollector
) -> None:
    fake.fail_next(Hang())
    collector = make_collector(fake, vendor_timeout_seconds=0.2, vendor_retry_budget_seconds=0)

    with pytest.raises(CollectorError, match=r"^claude_code: ReadTimeout calling /v1/"):
        fetch_one(collector)


def test_a_truncated_body_is_retried(
    fake: FakeAnthropic, make_collector: MakeCollector, sleeps: list[float]
) -> None:
    fake.fail_next(Truncated())

    report = fetch_one(make_collector(fake))

    assert metrics_by_id(report)[PUBLISHED_EMAIL]["interactions"] == 15
    assert len(sleeps) == 1


def test_a_failure_halfway_through_a_backfill_keeps_complete_days_and_resumes(
    engine: Engine, make_collector: MakeCollector
) -> None:
    days = day_range(dt.date(2025, 8, 1), DAY)
    data = {
        day: [claude_code_row(day, email="alice@example.com", sessions=day.day)] for day in days
    }
    broken_day = dt.date(2025, 8, 5)
    with FakeAnthropic(days=data) as fake:
        fake.break_day(
            broken_day, Reply(anthropic_error("api_error", "Internal server error"), 500)
        )

        failed = sync_source(
            engine,
            make_collector(fake, vendor_retry_budget_seconds=5),
            now=NOW,
            since=days[0],
        )

        assert failed.error is not None
        assert failed.days_written == 4
        assert sorted(day for _, day in stored(engine)) == days[:4]
        sync = state(engine)
        assert sync.last_complete_day == dt.date(2025, 8, 4)
        assert sync.last_error is not None
        assert sync.last_error.startswith("claude_code: HTTP 500 on /v1/")
        assert "while pulling 2025-08-05" in sync.last_error

        fake.mend_day(broken_day)
        later = NOW + dt.timedelta(hours=1)
        resumed = sync_source(engine, make_collector(fake), now=later)

    assert resumed.ok, resumed.error
    assert resumed.days_written == 4  # 5th to 8th
    assert {day: row["interactions"] for (_, day), row in stored(engine).items()} == {
        day: day.day for day in days
    }
    sync = state(engine)
    assert sync.last_complete_day == DAY
    assert sync.last_success_at == later


# -- credentials ----------------------------------------------------------------------------------


def test_a_refused_key_is_an_error_that_never_shows_the_key(
    engine: Engine, fake: FakeAnthropic, make_collector: MakeCollector
) -> None:
    wrong_key = "sk-ant-admin01-wrong-secret-value-42"

    outcome = sync_source(
        engine, make_collector(fake, anthropic_admin_key=wrong_key), now=NOW, since=DAY
    )

    assert fake.calls()[0].headers["x-api-key"] == wrong_key
    assert outcome.error is not None
    assert stored(engine) == {}
    error = state(engine).last_error or ""
    assert error.startswith("claude_code: credentials were refused (401)")
    assert wrong_key not in error
    assert "sk-ant" not in error
    assert "secret" not in error


def test_a_key_without_admin_rights_is_explained_without_the_key(
    fake: FakeAnthropic, make_collector: MakeCollector
) -> None:
    fake.break_day(
        DAY,
        Reply(
            anthropic_error("permission_error", "This key lacks permission for " + ADMIN_KEY), 403
        ),
    )

    with pytest.raises(CollectorError) as caught:
        fetch_one(make_collector(fake))

    message = str(caught.value)
    assert message.startswith("claude_code: HTTP 403 (permission_error) on /v1/")
    assert "Admin API key" in message
    assert ADMIN_KEY not in message


def test_a_collector_needs_an_admin_key() -> None:
    with pytest.raises(CollectorError, match="ANTHROPIC_ADMIN_KEY"):
        ClaudeCodeCollector(make_settings())
