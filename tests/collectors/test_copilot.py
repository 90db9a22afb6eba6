"""The Copilot collector against a fake GitHub API over real HTTP."""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import col, select

from bot.collectors.base import CollectorError
from bot.collectors.copilot import CopilotCollector
from bot.settings import Settings
from bot.sync import SyncOutcome, sync_source
from storage import queries
from storage.engine import session as open_session
from storage.models import DailyUsage, Identity, Seat, Team, VendorTeamMember
from tests.conftest import make_settings
from tests.fakes.github import (
    PUBLISHED_DIR,
    PUBLISHED_TEAMS_DAY,
    FakeGitHub,
    generated_seats,
    published_seats,
    published_user_row,
    user_row,
)
from tests.fakes.slack_api import Hang, Malformed, RateLimited, ServerError, Slow
from tests.fakes.vendor_http import Status, Truncated

TOKEN = "ghp_fake_token_for_tests"
NOW = dt.datetime(2025, 10, 20, 12, 0, tzinfo=dt.UTC)
DAY = dt.date(2025, 10, 19)  # the latest complete day at NOW
USERS_REPORT = "/orgs/acme/copilot/metrics/reports/users-1-day"
SEATS = "/orgs/acme/copilot/billing/seats"
LEGACY = re.compile(r"/(orgs|enterprises)/[^/]+(/team/[^/]+)?/copilot/metrics/?")

# The published users-1-day example, worked out by hand: one code completion (10 lines
# suggested, 8 added) and two Copilot CLI requests using 3800 prompt and 5000 output tokens.
PUBLISHED_ROW: dict[str, Any] = {
    "tool": "copilot",
    "source": "copilot",
    "active": True,
    "interactions": 0,
    "generations": 1,
    "acceptances": 1,
    "lines_suggested": 10,
    "lines_accepted": 8,
    "chat_requests": 0,
    "agent_requests": 0,
    "cli_requests": 2,
    "input_tokens": 3800,
    "output_tokens": 5000,
    "cost_cents": None,
    "cost_kind": None,
    "features": ["code_completion", "copilot_cli"],
}


@pytest.fixture
def github() -> Iterator[FakeGitHub]:
    """The fake GitHub serving the published example row on every day."""
    with FakeGitHub(token=TOKEN) as fake:
        yield fake


@pytest.fixture
def sleeps() -> list[float]:
    """Every wait the collector asked for (none is really slept)."""
    return []


def settings_for(fake: FakeGitHub, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "github_token": TOKEN,
        "github_org": "acme",
        "github_api_url": fake.url,
        "vendor_timeout_seconds": 2.0,
        "vendor_retry_budget_seconds": 300.0,
        **overrides,
    }
    return make_settings(**values)


def run_sync(
    engine: Engine,
    fake: FakeGitHub,
    *,
    now: dt.datetime = NOW,
    sleeps: list[float] | None = None,
    settings: Settings | None = None,
    backfill_days: int = 1,
    **kwargs: Any,
) -> SyncOutcome:
    """One scheduled sync of the Copilot source against the fake."""
    waits: list[float] = [] if sleeps is None else sleeps
    collector = CopilotCollector(settings or settings_for(fake), sleep=waits.append)
    try:
        return sync_source(engine, collector, now=now, backfill_days=backfill_days, **kwargs)
    finally:
        collector.close()


def stored_usage(engine: Engine) -> dict[tuple[str, dt.date], dict[str, Any]]:
    """Every daily usage row, keyed by (login, day)."""
    with open_session(engine) as session:
        rows = session.exec(
            select(DailyUsage, Identity).join(
                Identity, col(Identity.id) == col(DailyUsage.identity_id)
            )
        ).all()
    return {
        (identity.external_id, usage.day): {
            "tool": usage.tool,
            "source": usage.source,
            **{name: getattr(usage, name) for name in queries.USAGE_METRICS},
        }
        for usage, identity in rows
    }


def state(engine: Engine) -> tuple[dt.date | None, str | None]:
    """(last complete day, last error) of the Copilot source."""
    with open_session(engine) as session:
        found = queries.sync_state(session, "copilot")
    return (found.last_complete_day, found.last_error) if found else (None, None)


def our_logs(caplog: pytest.LogCaptureFixture) -> str:
    """What Uptake's own loggers wrote (httpx's request lines are its logging set-up's job)."""
    return "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("bot."))


def days_before(n: int) -> list[dt.date]:
    """The `n` days ending with DAY, oldest first."""
    return [DAY - dt.timedelta(days=k) for k in range(n - 1, -1, -1)]


def test_published_fixtures_are_present() -> None:
    for name in (
        "github-copilot-usage-report-users-1-day.json",
        "github-copilot-usage-report-user-teams-1-day.ndjson",
        "github-copilot-billing-seats.json",
        "github-copilot-metrics-report-1-day.json",
    ):
        assert (PUBLISHED_DIR / name).is_file(), f"missing published fixture {name}"


# -- the published example ---------------------------------------------------------------------


def test_published_example_produces_exactly_the_expected_row(
    engine: Engine, github: FakeGitHub
) -> None:
    outcome = run_sync(engine, github)

    assert outcome.error is None
    assert (outcome.days_written, outcome.rows_written) == (1, 1)
    assert stored_usage(engine) == {("login1", DAY): PUBLISHED_ROW}
    assert state(engine) == (DAY, None)


def test_published_example_served_as_a_json_array_is_read_too(engine: Engine) -> None:
    with FakeGitHub(token=TOKEN, json_array_files=True) as fake:
        run_sync(engine, fake)
    assert stored_usage(engine) == {("login1", DAY): PUBLISHED_ROW}


def test_features_chat_and_agent_requests_are_mapped_from_the_feature_totals(
    engine: Engine,
) -> None:
    def feature(name: str, interactions: int, generations: int = 0) -> dict[str, Any]:
        return {
            "feature": name,
            "user_initiated_interaction_count": interactions,
            "code_generation_activity_count": generations,
            "code_acceptance_activity_count": 0,
            "loc_added_sum": 0,
            "loc_deleted_sum": 0,
            "loc_suggested_to_add_sum": 0,
            "loc_suggested_to_delete_sum": 0,
        }

    chatty = user_row(
        "Chatty",
        user_initiated_interaction_count=10,
        totals_by_feature=[
            feature("code_completion", 0),
            feature("chat_panel_ask_mode", 3),
            feature("chat_panel_agent_mode", 2, generations=4),
            feature("agent_edit", 4),
            feature("chat_inline", 1),
        ],
        used_cli=False,
        used_chat=True,
        used_agent=True,
        used_copilot_code_review_active=True,
    )
    del chatty["totals_by_cli"]  # GitHub leaves it out when there was no CLI use
    idle = user_row(
        "idle",
        user_initiated_interaction_count=0,
        code_generation_activity_count=0,
        code_acceptance_activity_count=0,
        loc_added_sum=0,
        loc_suggested_to_add_sum=0,
        totals_by_feature=[],
        totals_by_cli=None,
        used_cli=False,
    )
    with FakeGitHub(token=TOKEN, usage={DAY: [chatty, idle]}) as fake:
        run_sync(engine, fake)

    rows = stored_usage(engine)
    assert rows[("chatty", DAY)] == {
        **PUBLISHED_ROW,
        "interactions": 10,
        "chat_requests": 6,
        "agent_requests": 6,
        "cli_requests": 0,
        "input_tokens": 0,
        "output_tokens": 0,
        "features": [
            "agent_edit",
            "chat_inline",
            "chat_panel_agent_mode",
            "chat_panel_ask_mode",
            "code_review",
        ],
    }
    assert rows[("idle", DAY)] == {
        **PUBLISHED_ROW,
        "active": False,
        "generations": 0,
        "acceptances": 0,
        "lines_suggested": 0,
        "lines_accepted": 0,
        "cli_requests": 0,
        "input_tokens": 0,
        "output_tokens": 0,
        "features": [],
    }


def test_a_user_split_across_download_files_is_merged_by_summing(engine: Engine) -> None:
    first = user_row("Alice", used_cli=False, totals_by_cli=None)
    second = user_row("alice")  # same login, other case, other file
    with FakeGitHub(token=TOKEN, usage={DAY: [first, second]}, files_per_day=2) as fake:
        run_sync(engine, fake)
        assert len([r for r in fake.requests if r.path.startswith("/downloads/")]) == 2

    assert stored_usage(engine) == {
        ("alice", DAY): {
            **PUBLISHED_ROW,
            "generations": 2,
            "acceptances": 2,
            "lines_suggested": 20,
            "lines_accepted": 16,
        }
    }


# -- GitHub's conventions: auth, scope, never the legacy API -----------------------------------


def test_api_requests_carry_githubs_auth_and_version_headers_and_downloads_carry_none(
    engine: Engine,
) -> None:
    usage = {day: [user_row(f"dev{n}") for n in range(5)] for day in days_before(2)}
    with FakeGitHub(token=TOKEN, usage=usage, files_per_day=3) as fake:
        outcome = run_sync(engine, fake, backfill_days=2)
        api = [r for r in fake.requests if r.path.startswith("/orgs/")]
        downloads = [r for r in fake.requests if r.path.startswith("/downloads/")]

    assert outcome.error is None and outcome.rows_written == 10
    assert api and len(downloads) == 6
    for request in api:
        assert request.headers["authorization"] == f"Bearer {TOKEN}"
        assert request.headers["accept"] == "application/vnd.github+json"
        assert request.headers["x-github-api-version"] == "2022-11-28"
    for request in downloads:
        assert "authorization" not in request.headers
        assert TOKEN not in str(request.headers)
        assert request.query["sig"]  # the signed URL's query was sent as given


def test_enterprise_scope_uses_the_enterprise_endpoints(engine: Engine) -> None:
    with FakeGitHub(token=TOKEN, org=None, enterprise="bigbank") as fake:
        settings = settings_for(fake, github_org=None, github_enterprise="bigbank")
        outcome = run_sync(engine, fake, settings=settings)
        paths = {r.path for r in fake.requests if not r.path.startswith("/downloads/")}

    assert outcome.error is None
    assert paths == {
        "/enterprises/bigbank/copilot/billing/seats",
        "/enterprises/bigbank/copilot/metrics/reports/enterprise-1-day",
        "/enterprises/bigbank/copilot/metrics/reports/user-teams-1-day",
        "/enterprises/bigbank/copilot/metrics/reports/users-1-day",
    }
    assert stored_usage(engine) == {("login1", DAY): PUBLISHED_ROW}


def test_legacy_metrics_endpoints_are_never_called(engine: Engine) -> None:
    assert LEGACY.fullmatch("/orgs/acme/copilot/metrics")  # the check below can fail
    assert LEGACY.fullmatch("/orgs/acme/team/web/copilot/metrics")
    with FakeGitHub(token=TOKEN) as fake:
        outcome = run_sync(engine, fake, now=dt.datetime(2026, 5, 8, 9, tzinfo=dt.UTC))
        paths = [r.path for r in fake.requests]

    assert outcome.error is None
    assert any("/copilot/metrics/reports/" in path for path in paths)
    assert not [path for path in paths if LEGACY.fullmatch(path)]


def test_bad_credentials_are_reported_without_the_token(engine: Engine, github: FakeGitHub) -> None:
    wrong = "ghp_wrong_token_that_must_not_leak"
    outcome = run_sync(engine, github, settings=settings_for(github, github_token=wrong))

    assert outcome.error is not None and "copilot" in outcome.error
    assert "credentials were refused (401)" in outcome.error
    _, error = state(engine)
    assert error == outcome.error
    assert wrong not in error and TOKEN not in error
    assert github.calls(SEATS)[0].headers["authorization"] == f"Bearer {wrong}"
    assert stored_usage(engine) == {}


def test_a_refused_scope_names_the_permission_and_is_not_retried(
    engine: Engine, github: FakeGitHub, sleeps: list[float]
) -> None:
    github.fail_next(USERS_REPORT, Status(403, {"message": "Resource not accessible"}))
    outcome = run_sync(engine, github, sleeps=sleeps)

    assert outcome.error is not None
    assert "copilot: GitHub refused access to the users-1-day report" in outcome.error
    assert "read:org" in outcome.error and TOKEN not in outcome.error
    assert len(github.calls(USERS_REPORT)) == 1 and sleeps == []


def test_an_unknown_org_is_reported_by_the_seat_list(engine: Engine, github: FakeGitHub) -> None:
    outcome = run_sync(engine, github, settings=settings_for(github, github_org="nope"))

    assert outcome.error is not None
    assert "copilot: GitHub found no Copilot seat list (404); check GITHUB_ORG" in outcome.error
    assert stored_usage(engine) == {}
    assert state(engine)[1] == outcome.error


# -- report readiness --------------------------------------------------------------------------


def test_204_means_not_ready_and_the_next_run_pulls_the_day(engine: Engine) -> None:
    two_days_ago, yesterday = days_before(2)
    with FakeGitHub(token=TOKEN, usage={two_days_ago: [published_user_row()]}) as fake:
        first = run_sync(engine, fake, backfill_days=2)

        assert first.error is None
        assert first.waiting_for == yesterday
        assert set(stored_usage(engine)) == {("login1", two_days_ago)}
        assert state(engine) == (two_days_ago, None)

        fake.usage = {two_days_ago: [published_user_row()], yesterday: [user_row("late")]}
        second = run_sync(engine, fake, now=NOW + dt.timedelta(hours=3))

    assert second.error is None and second.waiting_for is None
    assert set(stored_usage(engine)) == {("login1", two_days_ago), ("late", yesterday)}
    assert state(engine) == (yesterday, None)


def test_404_for_the_day_is_treated_as_not_ready(engine: Engine, github: FakeGitHub) -> None:
    github.fail_next(USERS_REPORT, Status(404, {"message": "Not Found"}))
    outcome = run_sync(engine, github)

    assert outcome.error is None and outcome.waiting_for == DAY
    assert stored_usage(engine) == {}
    assert state(engine) == (None, None)


def test_days_before_the_reports_start_are_never_requested(engine: Engine) -> None:
    with FakeGitHub(token=TOKEN) as fake:
        outcome = run_sync(engine, fake, since=dt.date(2025, 9, 1))
        asked = fake.report_days()

    assert outcome.error is None
    assert asked[0] == dt.date(2025, 10, 10)
    assert asked == [dt.date(2025, 10, 10) + dt.timedelta(days=n) for n in range(10)]
    assert min(day for _, day in stored_usage(engine)) == dt.date(2025, 10, 10)


def test_days_beyond_a_year_back_are_never_requested(engine: Engine) -> None:
    now = dt.datetime(2026, 11, 25, 12, tzinfo=dt.UTC)
    with FakeGitHub(token=TOKEN) as fake:
        outcome = run_sync(
            engine, fake, now=now, since=dt.date(2025, 10, 10), until=dt.date(2025, 11, 26)
        )
        asked = fake.report_days()

    assert outcome.error is None
    assert asked == [dt.date(2025, 11, 25), dt.date(2025, 11, 26)]


def test_fetch_refuses_a_day_before_the_reports_start(github: FakeGitHub) -> None:
    collector = CopilotCollector(settings_for(github))
    try:
        with pytest.raises(CollectorError, match="no usage reports before 2025-10-10"):
            list(collector.fetch([dt.date(2025, 10, 9)]))
    finally:
        collector.close()
    assert github.requests == []


# -- expired download links --------------------------------------------------------------------


@pytest.mark.parametrize("status", [403, 400])
def test_an_expired_link_is_refreshed_from_the_report_endpoint(
    engine: Engine, github: FakeGitHub, status: int
) -> None:
    github.issue_expired_links(2, status=status)
    outcome = run_sync(engine, github)

    assert outcome.error is None
    assert len(github.calls(USERS_REPORT)) == 3  # the first answer and two refreshes
    assert stored_usage(engine) == {("login1", DAY): PUBLISHED_ROW}


def test_links_that_keep_expiring_fail_the_day_after_two_refreshes(
    engine: Engine, github: FakeGitHub, caplog: pytest.LogCaptureFixture
) -> None:
    github.issue_expired_links(3)
    with caplog.at_level(logging.DEBUG):
        outcome = run_sync(engine, github)

    assert outcome.error is not None
    assert "copilot: could not download the users-1-day report" in outcome.error
    assert "after 2 link refreshes" in outcome.error
    assert len(github.calls(USERS_REPORT)) == 3
    assert stored_usage(engine) == {}
    for text in (outcome.error, our_logs(caplog)):
        assert "/downloads/" in text
        assert "sig=" not in text and "?" not in text
        assert TOKEN not in text


def test_a_refused_download_of_any_file_refreshes_every_link(engine: Engine) -> None:
    rows = [user_row("first"), user_row("second")]
    with FakeGitHub(token=TOKEN, usage={DAY: rows}, files_per_day=2) as fake:
        fake.fail_next("/downloads/", Status(403, "<Error><Code>AuthenticationFailed</Code>"))
        outcome = run_sync(engine, fake)
        reports = fake.calls(USERS_REPORT)

    assert outcome.error is None
    assert len(reports) == 2
    assert set(stored_usage(engine)) == {("first", DAY), ("second", DAY)}


# -- faults that recover -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("prefix", "fault"),
    [
        pytest.param(USERS_REPORT, RateLimited(retry_after=7), id="429-report"),
        pytest.param("/downloads/", RateLimited(retry_after=7), id="429-download"),
        pytest.param(USERS_REPORT, ServerError(500), id="500-report"),
        pytest.param("/downloads/", ServerError(503), id="503-download"),
        pytest.param(SEATS, ServerError(502), id="502-seats"),
        pytest.param(USERS_REPORT, Hang(), id="timeout-report"),
        pytest.param("/downloads/", Slow(1.0), id="slow-download"),
        pytest.param("/downloads/", Truncated(), id="truncated-download"),
        pytest.param(SEATS, Truncated(), id="truncated-seats"),
    ],
)
def test_transient_faults_are_retried_and_the_day_is_written(
    engine: Engine, github: FakeGitHub, sleeps: list[float], prefix: str, fault: Any
) -> None:
    github.fail_next(prefix, fault)
    outcome = run_sync(
        engine, github, sleeps=sleeps, settings=settings_for(github, vendor_timeout_seconds=0.3)
    )

    assert outcome.error is None
    assert stored_usage(engine) == {("login1", DAY): PUBLISHED_ROW}
    assert len(sleeps) == 1
    if isinstance(fault, RateLimited):
        assert sleeps == [7.0]


def test_a_day_that_keeps_failing_records_the_error_without_secrets(
    engine: Engine, github: FakeGitHub, caplog: pytest.LogCaptureFixture
) -> None:
    github.fail_next("/downloads/", ServerError(500), times=10)
    settings = settings_for(github, vendor_retry_budget_seconds=0)
    with caplog.at_level(logging.DEBUG):
        outcome = run_sync(engine, github, settings=settings)

    assert outcome.error is not None and outcome.error.startswith("copilot: ")
    assert "HTTP 500 on /downloads/" in outcome.error
    _, error = state(engine)
    assert error == outcome.error
    for text in (error, our_logs(caplog)):
        assert "/downloads/" in text
        assert "sig=" not in text and "se=" not in text and TOKEN not in text


# -- GitHub's 403 rate limits ------------------------------------------------------------------


def test_primary_rate_limit_403_waits_until_the_reset(
    engine: Engine, github: FakeGitHub, sleeps: list[float]
) -> None:
    github.rate_limit_next("primary", reset_in=30)
    outcome = run_sync(engine, github, sleeps=sleeps)

    assert outcome.error is None
    assert len(sleeps) == 1 and 25 <= sleeps[0] <= 32
    assert stored_usage(engine) == {("login1", DAY): PUBLISHED_ROW}


@pytest.mark.parametrize(("kind", "wait"), [("secondary", 7.0), ("secondary-no-header", 60.0)])
def test_secondary_rate_limit_403_waits_as_github_asks(
    engine: Engine, github: FakeGitHub, sleeps: list[float], kind: Any, wait: float
) -> None:
    github.rate_limit_next(kind, retry_after=7, times=2)
    outcome = run_sync(engine, github, sleeps=sleeps)

    assert outcome.error is None
    assert sleeps == [wait, wait]
    assert stored_usage(engine) == {("login1", DAY): PUBLISHED_ROW}


def test_a_rate_limit_beyond_the_retry_budget_fails_the_run(
    engine: Engine, github: FakeGitHub, sleeps: list[float]
) -> None:
    github.rate_limit_next("primary", reset_in=3600)
    outcome = run_sync(engine, github, sleeps=sleeps)

    assert outcome.error is not None
    assert "copilot: GitHub rate limit on /orgs/acme/copilot/billing/seats" in outcome.error
    assert sleeps == []
    # Seats failing does not hold back the usage reports; the error stays visible.
    assert stored_usage(engine) != {}
    assert state(engine)[1] == outcome.error


# -- backfill, idempotency, malformed pages ----------------------------------------------------


def generated_usage(days: list[dt.date], users: int) -> dict[dt.date, list[dict[str, Any]]]:
    """Many users a day, with counts that differ by user and day."""
    usage = {}
    for d, day in enumerate(days):
        rows = []
        for n in range(users):
            rows.append(
                user_row(
                    f"Dev-{n:04d}",
                    code_generation_activity_count=n % 7 + d,
                    code_acceptance_activity_count=n % 5,
                    loc_added_sum=n,
                    loc_suggested_to_add_sum=2 * n,
                    user_initiated_interaction_count=n % 3,
                    used_cli=n % 2 == 0,
                )
            )
        usage[day] = rows
    return usage


def test_a_second_sync_of_the_same_days_changes_nothing(engine: Engine) -> None:
    days = days_before(3)
    with FakeGitHub(token=TOKEN, usage=generated_usage(days, 300), files_per_day=3) as fake:
        run_sync(engine, fake, since=days[0])
        first = stored_usage(engine)
        run_sync(engine, fake, since=days[0])
        second = stored_usage(engine)

    assert len(first) == 900
    assert second == first
    assert first[("dev-0012", days[1])]["lines_accepted"] == 12


def test_a_failure_halfway_through_a_backfill_keeps_complete_days_and_resumes(
    engine: Engine,
) -> None:
    days = days_before(5)
    with FakeGitHub(token=TOKEN, usage=generated_usage(days, 20)) as fake:
        fake.failing_days[days[2]] = 500
        settings = settings_for(fake, vendor_retry_budget_seconds=0)
        broken = run_sync(engine, fake, settings=settings, backfill_days=5)

        assert broken.error is not None
        assert broken.error.startswith("copilot: HTTP 500 on " + USERS_REPORT)
        assert broken.error.endswith(f"(while pulling {days[2]})")
        assert {day for _, day in stored_usage(engine)} == set(days[:2])
        assert state(engine) == (days[1], broken.error)

        del fake.failing_days[days[2]]
        resumed = run_sync(engine, fake, settings=settings, backfill_days=5)

    assert resumed.error is None
    assert {day for _, day in stored_usage(engine)} == set(days)
    assert len(stored_usage(engine)) == 100
    assert state(engine)[0] == days[-1]


def bad(row: dict[str, Any], **changes: Any) -> dict[str, Any]:
    row = dict(row)
    for key, value in changes.items():
        if value is ...:
            del row[key]
        else:
            row[key] = value
    return row


@pytest.mark.parametrize(
    ("broken", "message"),
    [
        pytest.param(bad(user_row("x"), user_login=...), "'user_login' is missing", id="no-login"),
        pytest.param(bad(user_row("x"), loc_added_sum="8"), "'loc_added_sum' is not", id="str"),
        pytest.param(
            bad(user_row("x"), code_generation_activity_count=-1), "non-negative", id="neg"
        ),
        pytest.param(bad(user_row("x"), totals_by_feature={}), "'totals_by_feature'", id="feat"),
        pytest.param(bad(user_row("x"), used_cli="yes"), "'used_cli' is not true", id="flag"),
        pytest.param(
            bad(user_row("x"), totals_by_cli={"request_count": 1.5}), "request_count", id="cli"
        ),
    ],
)
def test_a_malformed_row_writes_nothing_for_its_day(
    engine: Engine, broken: dict[str, Any], message: str
) -> None:
    good_day, bad_day = days_before(2)
    usage = {good_day: [user_row("ok")], bad_day: [user_row("fine"), broken]}
    with FakeGitHub(token=TOKEN, usage=usage) as fake:
        outcome = run_sync(engine, fake, backfill_days=2)

    assert outcome.error is not None
    assert outcome.error.startswith(f"copilot: users-1-day report for {bad_day}, file 1 line 2")
    assert message in outcome.error
    assert set(stored_usage(engine)) == {("ok", good_day)}
    assert state(engine) == (good_day, outcome.error)


def test_a_row_for_another_day_is_malformed(engine: Engine) -> None:
    # A file that holds another day's rows would be written under the wrong date.
    stale = user_row("x")
    with FakeGitHub(token=TOKEN, usage={DAY: [stale]}) as fake:
        fake.fail_next("/downloads/", Status(200, dict(stale, day="2025-10-01")))
        outcome = run_sync(engine, fake)

    assert outcome.error is not None and "'day' is 2025-10-01, not the day asked for" in (
        outcome.error
    )
    assert stored_usage(engine) == {}


@pytest.mark.parametrize(
    ("prefix", "fault", "message"),
    [
        pytest.param("/downloads/", Malformed(), "line 1: not valid JSON", id="download"),
        pytest.param(USERS_REPORT, Malformed(), "is not valid JSON", id="report"),
        pytest.param(
            USERS_REPORT,
            Status(200, {"report_day": "2025-10-19"}),
            "'download_links' is missing",
            id="no-links",
        ),
        pytest.param(
            USERS_REPORT,
            Status(200, {"download_links": ["file:///etc/passwd"]}),
            "other than an https URL",
            id="bad-link",
        ),
        pytest.param(
            USERS_REPORT,
            Status(200, {"download_links": [], "report_day": "2025-10-18"}),
            "'report_day' is 2025-10-18",
            id="other-day",
        ),
    ],
)
def test_a_malformed_page_writes_nothing_and_names_the_source(
    engine: Engine, github: FakeGitHub, prefix: str, fault: Any, message: str
) -> None:
    github.fail_next(prefix, fault)
    outcome = run_sync(engine, github)

    assert outcome.error is not None and outcome.error.startswith("copilot: ")
    assert message in outcome.error
    assert stored_usage(engine) == {}
    assert state(engine)[1] == outcome.error


def test_a_malformed_seat_page_is_reported_but_usage_is_still_pulled(
    engine: Engine, github: FakeGitHub
) -> None:
    github.fail_next(SEATS, Status(200, {"total_seats": 1}))
    outcome = run_sync(engine, github)

    assert outcome.error is not None and "'seats' is missing" in outcome.error
    assert stored_usage(engine) != {}
    assert state(engine)[1] == outcome.error


# -- seats and teams ---------------------------------------------------------------------------


def stored_seats(engine: Engine) -> dict[str, Seat]:
    with open_session(engine) as session:
        return {seat.external_id: seat for seat in session.exec(select(Seat)).all()}


def test_seats_follow_link_pagination_across_pages(engine: Engine) -> None:
    seats = published_seats() + generated_seats(248)
    with FakeGitHub(token=TOKEN, seats=seats) as fake:
        outcome = run_sync(engine, fake)
        pages = fake.calls(SEATS)

    assert outcome.error is None
    assert [(r.arg("per_page"), r.arg("page")) for r in pages] == [
        ("100", None),
        ("100", "2"),
        ("100", "3"),
    ]
    stored = stored_seats(engine)
    assert len(stored) == 250
    octocat, octokitten = stored["octocat"], stored["octokitten"]
    # The published example's times carry a -06:00 offset.
    assert octocat.assigned_at == dt.datetime(2021, 8, 4, 0, 0, tzinfo=dt.UTC)
    assert octocat.last_activity_at == dt.datetime(2021, 10, 14, 6, 53, 32, tzinfo=dt.UTC)
    assert octocat.pending_cancellation_date is None
    assert octocat.plan == "business"
    assert octokitten.pending_cancellation_date == dt.date(2021, 11, 1)
    assert octokitten.plan is None  # the published example leaves plan_type out here
    assert stored["dev-00000"].last_activity_at is None
    assert stored["dev-00001"].last_activity_at == dt.datetime(2026, 11, 20, 15, tzinfo=dt.UTC)
    assert all(seat.synced_at == NOW for seat in stored.values())
    with open_session(engine) as session:
        logins = set(session.exec(select(Identity.external_id)).all())
    assert logins >= set(stored)


def test_a_next_page_on_another_host_is_refused_so_the_token_stays_home(engine: Engine) -> None:
    with FakeGitHub(token=TOKEN, seats=generated_seats(150)) as fake:
        fake.seat_link_base = "http://elsewhere.invalid"
        outcome = run_sync(engine, fake)
        pages = fake.calls(SEATS)

    assert outcome.error is not None
    assert "copilot: the seat list's next page points away from the GitHub API" in outcome.error
    assert len(pages) == 1
    assert stored_seats(engine) == {}


def test_the_seat_list_is_replaced_on_each_run(engine: Engine, github: FakeGitHub) -> None:
    run_sync(engine, github)
    github.seats = [dict(published_seats()[0], assignee=None), published_seats()[1]]
    run_sync(engine, github)

    assert set(stored_seats(engine)) == {"octokitten"}


def test_github_teams_are_stored_from_the_user_teams_report(engine: Engine) -> None:
    now = dt.datetime.combine(PUBLISHED_TEAMS_DAY + dt.timedelta(days=1), dt.time(9), dt.UTC)
    with FakeGitHub(token=TOKEN) as fake:
        outcome = run_sync(engine, fake, now=now)
        asked = fake.report_days("user-teams-1-day")

    assert outcome.error is None
    assert asked == [PUBLISHED_TEAMS_DAY]
    with open_session(engine) as session:
        teams = {team.slug: (team.name, team.source) for team in session.exec(select(Team)).all()}
        members = session.exec(
            select(Team.slug, Identity.external_id, Identity.tool)
            .join(VendorTeamMember, col(VendorTeamMember.team_id) == col(Team.id))
            .join(Identity, col(Identity.id) == col(VendorTeamMember.identity_id))
        ).all()
    assert teams == {
        "github:frontend": ("frontend", "github"),
        "github:backend": ("backend", "github"),
    }
    assert sorted(members) == [
        ("github:backend", "alice", "copilot"),
        ("github:frontend", "alice", "copilot"),
        ("github:frontend", "bob", "copilot"),
    ]


def test_a_teams_report_that_is_not_ready_skips_teams(engine: Engine, github: FakeGitHub) -> None:
    outcome = run_sync(engine, github)

    assert github.report_days("user-teams-1-day") == [DAY]
    assert outcome.error is None
    with open_session(engine) as session:
        assert session.exec(select(Team)).all() == []
    assert stored_usage(engine) == {("login1", DAY): PUBLISHED_ROW}
