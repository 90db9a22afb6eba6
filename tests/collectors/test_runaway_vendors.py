"""Vendors that never stop: endless paging, oversized bodies, a sync past its budget."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from sqlalchemy.engine import Engine

from bot.cli import main
from bot.collectors.base import MAX_PAGES, CollectorError, MalformedReport
from bot.collectors.claude_code import REPORT_PATH, ClaudeCodeCollector
from bot.collectors.copilot import CopilotCollector
from bot.collectors.cursor import CursorCollector
from bot.collectors.http import RequestBudget, VendorHTTP
from bot.collectors.openai import OpenAICollector
from bot.sync import sync_source
from storage import queries
from storage.engine import session as open_session
from tests.collectors.test_openai import generated_usage
from tests.conftest import make_settings
from tests.fakes.anthropic import ADMIN_KEY as ANTHROPIC_KEY
from tests.fakes.anthropic import PUBLISHED_DAY, FakeAnthropic
from tests.fakes.cursor import FakeCursor
from tests.fakes.github import FakeGitHub
from tests.fakes.openai_admin import ADMIN_KEY, FakeOpenAIAdmin
from tests.fakes.vendor_http import FakeVendorAPI, Huge, Reply

ENDLESS = f"stopped after {MAX_PAGES:,} pages: the vendor kept returning a next page"
# The Copilot test follows the real cap; the others a smaller one, to stay quick.
SMALL_CAP = 40
ENDLESS_SMALL = f"stopped after {SMALL_CAP} pages: the vendor kept returning a next page"
FIFTY_MB = 50 * 1024 * 1024
NOT_WAITING: list[float] = []


@pytest.fixture
def anthropic() -> Iterator[FakeAnthropic]:
    with FakeAnthropic() as fake:
        yield fake


@pytest.fixture
def openai_api() -> Iterator[FakeVendorAPI]:
    with FakeVendorAPI() as api:
        yield api


def claude(fake: FakeAnthropic) -> ClaudeCodeCollector:
    collector = ClaudeCodeCollector(
        make_settings(anthropic_admin_key=ANTHROPIC_KEY, anthropic_api_url=fake.url),
        sleep=NOT_WAITING.append,
    )
    collector.max_pages = SMALL_CAP
    return collector


def openai_collector(api: FakeVendorAPI) -> OpenAICollector:
    settings = make_settings(openai_admin_key=ADMIN_KEY, openai_admin_base_url=api.url + "/v1")
    collector = OpenAICollector(settings, sleep=NOT_WAITING.append)
    collector.max_pages = SMALL_CAP
    return collector


def test_claude_code_stops_paging_at_the_cap(anthropic: FakeAnthropic) -> None:
    anthropic.api.page_forever(REPORT_PATH)
    collector = claude(anthropic)
    with pytest.raises(CollectorError, match=ENDLESS_SMALL):
        list(collector.fetch([PUBLISHED_DAY]))
    collector.close()
    assert len(anthropic.api.calls(REPORT_PATH)) == SMALL_CAP


def test_openai_usage_stops_paging_at_the_cap(openai_api: FakeVendorAPI) -> None:
    fake = FakeOpenAIAdmin(openai_api)
    day = dt.date(2026, 8, 3)
    generated_usage(fake, [day])
    openai_api.page_forever("/v1/organization/usage/completions")
    collector = openai_collector(openai_api)
    with pytest.raises(CollectorError, match=ENDLESS_SMALL):
        list(collector.fetch([day]))
    collector.close()
    assert len(fake.usage_calls()) == SMALL_CAP


def test_openai_users_stop_paging_at_the_cap(openai_api: FakeVendorAPI) -> None:
    fake = FakeOpenAIAdmin(openai_api)
    day = dt.date(2026, 8, 3)
    generated_usage(fake, [day])
    openai_api.page_forever("/v1/organization/users")
    collector = openai_collector(openai_api)
    with pytest.raises(CollectorError, match=ENDLESS_SMALL):
        list(collector.fetch([day]))
    collector.close()
    assert len(fake.user_calls()) == SMALL_CAP


def test_copilot_seats_stop_at_the_cap_and_uptake_sources_says_why(
    engine: Engine,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    with FakeGitHub(token="ghp_test") as github:
        github.api.page_forever("/orgs/acme/copilot/billing/seats", link=True)
        settings = make_settings(
            github_token="ghp_test", github_org="acme", github_api_url=github.url
        )
        collector = CopilotCollector(settings, sleep=NOT_WAITING.append)
        now = dt.datetime(2026, 11, 20, 6, tzinfo=dt.UTC)
        outcome = sync_source(engine, collector, now=now, backfill_days=1)
        collector.close()
        seat_pages = len(github.api.calls("/orgs/acme/copilot/billing/seats"))

    assert outcome.error == f"copilot: seat list: {ENDLESS}"
    assert seat_pages == MAX_PAGES
    with open_session(engine) as session:
        state = queries.sync_state(session, "copilot")
    assert state is not None and state.last_error == outcome.error

    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("GITHUB_TOKEN", "ghp_test")
    monkeypatch.setenv("GITHUB_ORG", "acme")
    assert main(["sources"]) == 0
    assert f"FAILING: copilot: seat list: {ENDLESS}" in capsys.readouterr().out


# -- oversized bodies ------------------------------------------------------------------------


def test_an_oversized_streamed_page_is_refused_not_read_whole(anthropic: FakeAnthropic) -> None:
    anthropic.api.fail_next(REPORT_PATH, Huge(FIFTY_MB, declare_length=False))
    collector = claude(anthropic)
    with pytest.raises(MalformedReport, match="is over 32 MB; refused"):
        list(collector.fetch([PUBLISHED_DAY]))
    collector.close()


def test_an_oversized_declared_body_is_refused_before_reading() -> None:
    with FakeCursor(api_key="key_abcdefgh12345678") as fake:
        fake.fail_next("/teams/daily-usage-data", Huge(FIFTY_MB))
        settings = make_settings(cursor_api_key="key_abcdefgh12345678", cursor_api_url=fake.url)
        collector = CursorCollector(settings, sleep=NOT_WAITING.append)
        with pytest.raises(MalformedReport, match="is over 32 MB; refused"):
            list(collector.fetch([dt.date(2026, 8, 3)]))
        collector.close()


def test_an_oversized_openai_page_is_refused(openai_api: FakeVendorAPI) -> None:
    fake = FakeOpenAIAdmin(openai_api)
    day = dt.date(2026, 8, 3)
    generated_usage(fake, [day])
    openai_api.fail_next("/v1/organization/usage", Huge(FIFTY_MB, declare_length=False))
    collector = openai_collector(openai_api)
    with pytest.raises(MalformedReport, match="is over 32 MB; refused"):
        list(collector.fetch([day]))
    collector.close()
    assert NOT_WAITING == []  # refused, not retried


# -- the budget of one sync ------------------------------------------------------------------


def test_a_sync_stops_when_its_request_budget_is_spent(openai_api: FakeVendorAPI) -> None:
    openai_api.route("GET", "/data", lambda request: Reply({"ok": True}))
    http = VendorHTTP("vendor", openai_api.url, budget=RequestBudget("vendor", max_requests=3))
    for _ in range(3):
        http.request("GET", "/data")
    with pytest.raises(CollectorError, match="stopped after 3 requests"):
        http.request("GET", "/data")
    http.close()
    assert len(openai_api.calls("/data")) == 3


def test_a_sync_stops_when_its_time_budget_is_spent(openai_api: FakeVendorAPI) -> None:
    openai_api.route("GET", "/data", lambda request: Reply({"ok": True}))
    now = [0.0]
    budget = RequestBudget("vendor", max_seconds=3600, clock=lambda: now[0])
    http = VendorHTTP("vendor", openai_api.url, budget=budget)
    http.request("GET", "/data")
    now[0] = 3601.0
    with pytest.raises(CollectorError, match="stopped after 60 minutes"):
        http.request("GET", "/data")
    http.close()
