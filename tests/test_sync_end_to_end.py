"""`uptake sync` against all four fake vendor APIs, then `/myusage` over HTTP, on both databases.

The vendor fakes serve the same two people on the same three days: Claude Code and Cursor
report them by email, OpenAI by user id (its users list gives the email) and GitHub by login.
The command line runs in-process with the real clock, so the days are picked relative to
today and well before any vendor's reporting lag (3 to 5 days ago), and passed as
--since/--until. Only the collectors' `sleep` is replaced (Cursor paces its requests 3 s
apart, and retries back off), so nothing here really waits.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.engine import Engine
from sqlmodel import col, select

from bot import cli
from bot.blocks.ids import MYUSAGE_TOOL_DETAILS
from bot.cli import sources as cli_sources
from bot.collectors.registry import build_collectors
from bot.linking import admin_map
from bot.people import find_person
from storage import queries
from storage.engine import session as open_session
from storage.models import DailyUsage, Identity, SyncState
from tests.conftest import make_settings
from tests.fakes import anthropic, cursor, openai_admin
from tests.fakes.anthropic import FakeAnthropic, claude_code_row, model_usage
from tests.fakes.cursor import FakeCursor
from tests.fakes.github import FakeGitHub, user_row
from tests.fakes.openai_admin import FakeOpenAIAdmin, completions_result, organization_user
from tests.fakes.slack_api import FakeSlackAPI
from tests.fakes.vendor_http import FakeVendorAPI, Reply
from tests.handlers.conftest import SIGNING_SECRET, RunningApp, start_web_app

GITHUB_TOKEN = "ghp_fake_token_for_tests"
CURSOR_KEY = "key_test_cursor_0123456789"
SOURCES = ("copilot", "claude_code", "openai", "cursor")
LABELS = {
    "copilot": "GitHub Copilot",
    "claude_code": "Claude Code",
    "openai": "OpenAI",
    "cursor": "Cursor",
}


@dataclass(frozen=True)
class Engineer:
    """One person as each vendor knows them."""

    email: str
    github_login: str
    openai_user_id: str
    offset: int  # added to every figure, so two people's numbers never coincide


ADA = Engineer("ada@example.com", "Ada-GH", "user-ada", 0)
GRACE = Engineer("grace@example.com", "grace-gh", "user-grace", 100)
PEOPLE = (ADA, GRACE)


def sync_days() -> list[dt.date]:
    """Three consecutive days that every vendor has finished, whatever the time of day."""
    today = dt.datetime.now(dt.UTC).date()
    return [today - dt.timedelta(days=n) for n in (5, 4, 3)]


def skips_cursor(person: Engineer, i: int) -> bool:
    """Grace did not open Cursor on the first day: Cursor sends no row for her then."""
    return person is GRACE and i == 0


# -- what each vendor serves, and what Uptake should store from it ------------------------------


def copilot_rows(day_index: int) -> list[dict[str, Any]]:
    return [
        user_row(
            p.github_login,
            user_initiated_interaction_count=3 + day_index + p.offset,
            code_generation_activity_count=10 + day_index + p.offset,
            code_acceptance_activity_count=4 + day_index + p.offset,
            loc_suggested_to_add_sum=20 + day_index + p.offset,
            loc_added_sum=8 + day_index + p.offset,
        )
        for p in PEOPLE
    ]


def claude_code_rows(day: dt.date, day_index: int) -> list[dict[str, Any]]:
    return [
        claude_code_row(
            day,
            email=p.email,
            sessions=2 + day_index + p.offset,
            lines_added=30 + day_index + p.offset,
            tools={"edit_tool": (5 + day_index + p.offset, 1)},
            models=[
                model_usage(
                    input=1000 * (day_index + 1) + p.offset,
                    output=100 * (day_index + 1) + p.offset,
                    cost_cents=150,
                )
            ],
        )
        for p in PEOPLE
    ]


def cursor_rows(days: list[dt.date]) -> list[dict[str, Any]]:
    return [
        cursor.usage_row(
            # Cursor's emails are not always lower-case; Uptake's identities are.
            p.email if p is ADA else p.email.title(),
            day,
            chatRequests=2 + i + p.offset,
            agentRequests=1,
            totalTabsShown=20 + i + p.offset,
            totalTabsAccepted=10 + p.offset,
            totalLinesAdded=40 + p.offset,
            acceptedLinesAdded=15 + i + p.offset,
        )
        for i, day in enumerate(days)
        for p in PEOPLE
        if not skips_cursor(p, i)
    ]


def openai_results(day_index: int) -> list[dict[str, Any]]:
    results = [
        completions_result(
            p.openai_user_id, 7 + day_index + p.offset, 500 + day_index + p.offset, 50 + day_index
        )
        for p in PEOPLE
    ]
    # Usage nobody can be credited with (no user id) is skipped, not stored.
    return [*results, completions_result(None, 99, 9_999, 999)]


def expected_rows(days: list[dt.date]) -> dict[str, dict[tuple[str, dt.date], dict[str, Any]]]:
    """Per source: (external id, day) -> the stored metrics, worked out by hand."""
    expected: dict[str, dict[tuple[str, dt.date], dict[str, Any]]] = {s: {} for s in SOURCES}
    for i, day in enumerate(days):
        for p in PEOPLE:
            o = p.offset
            expected["copilot"][(p.github_login.lower(), day)] = {
                "active": True,
                "interactions": 3 + i + o,
                "generations": 10 + i + o,
                "acceptances": 4 + i + o,
                "lines_suggested": 20 + i + o,
                "lines_accepted": 8 + i + o,
                # The published row's Copilot CLI totals, unchanged by `user_row`.
                "cli_requests": 2,
                "input_tokens": 3800,
                "output_tokens": 5000,
                "cost_cents": None,
                "features": ["code_completion", "copilot_cli"],
            }
            expected["claude_code"][(p.email, day)] = {
                "active": True,
                "interactions": 2 + i + o,
                "generations": 6 + i + o,
                "acceptances": 5 + i + o,
                "lines_accepted": 30 + i + o,
                "input_tokens": 1000 * (i + 1) + o,
                "output_tokens": 100 * (i + 1) + o,
                "cost_cents": 150,
                "cost_kind": "estimated",
                "features": ["edit_tool"],
            }
            expected["openai"][(p.openai_user_id, day)] = {
                "active": True,
                "interactions": 7 + i + o,
                "generations": 0,
                "input_tokens": 500 + i + o,
                "output_tokens": 50 + i,
                "cost_cents": None,
                "features": ["api"],
            }
            if not skips_cursor(p, i):
                expected["cursor"][(p.email, day)] = {
                    "active": True,
                    "interactions": 3 + i + o,
                    "generations": 20 + i + o,
                    "acceptances": 10 + o,
                    "lines_suggested": 40 + o,
                    "lines_accepted": 15 + i + o,
                    "chat_requests": 2 + i + o,
                    "agent_requests": 1,
                    "cost_cents": None,
                    "features": ["agent", "chat", "tab"],
                }
    return expected


# -- the fakes and the command line ---------------------------------------------------------------


@dataclass
class Vendors:
    """The four running vendor fakes and the days they hold."""

    days: list[dt.date]
    github: FakeGitHub
    anthropic: FakeAnthropic
    openai: FakeOpenAIAdmin
    cursor: FakeCursor
    sleeps: list[float]

    @property
    def since(self) -> str:
        return self.days[0].isoformat()

    @property
    def until(self) -> str:
        return self.days[-1].isoformat()


@pytest.fixture
def vendors(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, database_url: str
) -> Iterator[Vendors]:
    """All four vendor fakes with data for the same days, and the environment pointing at them."""
    days = sync_days()
    with ExitStack() as stack:
        github = stack.enter_context(
            FakeGitHub(
                token=GITHUB_TOKEN,
                org="acme",
                usage={day: copilot_rows(i) for i, day in enumerate(days)},
            )
        )
        claude = stack.enter_context(
            FakeAnthropic(days={day: claude_code_rows(day, i) for i, day in enumerate(days)})
        )
        openai_api = stack.enter_context(FakeVendorAPI())
        openai = FakeOpenAIAdmin(openai_api)
        openai.usage = {day: openai_results(i) for i, day in enumerate(days)}
        openai.users = [organization_user(p.openai_user_id, p.email) for p in PEOPLE]
        cursor_api = stack.enter_context(
            FakeCursor(
                api_key=CURSOR_KEY,
                rows=cursor_rows(days),
                members=[{"name": p.email, "email": p.email, "role": "member"} for p in PEOPLE],
            )
        )

        monkeypatch.chdir(tmp_path)  # no .env file is read
        env = {
            "DATABASE_URL": database_url,
            "GITHUB_TOKEN": GITHUB_TOKEN,
            "GITHUB_ORG": "acme",
            "GITHUB_API_URL": github.url,
            "ANTHROPIC_ADMIN_KEY": anthropic.ADMIN_KEY,
            "ANTHROPIC_API_URL": claude.url,
            "OPENAI_ADMIN_KEY": openai_admin.ADMIN_KEY,
            "OPENAI_ADMIN_BASE_URL": openai_api.url + "/v1",
            "CURSOR_API_KEY": CURSOR_KEY,
            "CURSOR_API_URL": cursor_api.url,
            "VENDOR_TIMEOUT_SECONDS": "5",
            "VENDOR_RETRY_BUDGET_SECONDS": "3",
        }
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        # The collectors' waits (Cursor's pacing, retry back-off) are recorded, not slept.
        sleeps: list[float] = []
        monkeypatch.setattr(
            cli_sources,
            "build_collectors",
            functools.partial(build_collectors, sleep=sleeps.append),
        )
        yield Vendors(days, github, claude, openai, cursor_api, sleeps)


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """Run `uptake ARGV...` in-process: (exit code, stdout, stderr)."""
    capsys.readouterr()
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def sync(vendors: Vendors, capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[int, str]:
    code, out, _ = run_cli(
        capsys, "sync", "--since", vendors.since, "--until", vendors.until, *extra
    )
    return code, out


def stored(engine: Engine) -> dict[str, dict[tuple[str, dt.date], dict[str, Any]]]:
    """Every daily usage row, per source, keyed by (external id, day)."""
    with open_session(engine) as session:
        rows = session.exec(
            select(DailyUsage, Identity).join(
                Identity, col(Identity.id) == col(DailyUsage.identity_id)
            )
        ).all()
    result: dict[str, dict[tuple[str, dt.date], dict[str, Any]]] = {}
    for usage, identity in rows:
        assert usage.tool == identity.tool == usage.source
        result.setdefault(usage.source, {})[(identity.external_id, usage.day)] = {
            name: getattr(usage, name) for name in queries.USAGE_METRICS
        }
    return result


def sync_states(engine: Engine) -> dict[str, SyncState]:
    with open_session(engine) as session:
        return {state.source: state for state in session.exec(select(SyncState)).all()}


def identities(engine: Engine) -> dict[tuple[str, str], Identity]:
    with open_session(engine) as session:
        return {(i.tool, i.external_id): i for i in session.exec(select(Identity)).all()}


def assert_matches(
    actual: dict[tuple[str, dt.date], dict[str, Any]],
    expected: dict[tuple[str, dt.date], dict[str, Any]],
) -> None:
    assert set(actual) == set(expected)
    for key, metrics in expected.items():
        got = {name: actual[key][name] for name in metrics}
        assert got == metrics, key


# -- the tests ----------------------------------------------------------------------------------


def test_sync_fills_the_database_for_every_vendor_and_a_rerun_changes_nothing(
    vendors: Vendors, engine: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    days = vendors.days
    expected = expected_rows(days)

    code, out = sync(vendors, capsys)

    assert code == 0, out
    rows = stored(engine)
    assert {source: len(rows.get(source, {})) for source in SOURCES} == {
        "copilot": 6,
        "claude_code": 6,
        "openai": 6,
        "cursor": 5,
    }
    for source in SOURCES:
        assert_matches(rows[source], expected[source])
    # Figures that are easy to check by eye, one per source.
    assert rows["copilot"][("ada-gh", days[0])]["generations"] == 10
    assert rows["claude_code"][("grace@example.com", days[2])]["input_tokens"] == 3100
    assert rows["openai"][("user-ada", days[1])]["interactions"] == 8
    assert rows["cursor"][("grace@example.com", days[1])]["lines_accepted"] == 116
    assert ("grace@example.com", days[0]) not in rows["cursor"]

    # Each source says what it did, and is complete to --until without an error.
    for source in SOURCES:
        count = len(expected[source])
        assert f"{source}: 3 day(s), {count} row(s); complete to {vendors.until}\n" in out
    assert "FAILED" not in out
    states = sync_states(engine)
    assert set(states) == set(SOURCES)
    for source, state in states.items():
        assert state.last_complete_day == days[-1], source
        assert state.last_success_at is not None, source
        assert (state.last_error, state.last_error_at) == (None, None), source

    # OpenAI's user ids carry the email from the users list, so they can link by email.
    known = identities(engine)
    assert known[("openai", "user-ada")].email == ADA.email
    assert known[("openai", "user-grace")].email == GRACE.email
    # Every request went where its settings said, with the days asked for.
    assert vendors.github.report_days() == days
    assert [r.arg("starting_at") for r in vendors.anthropic.calls()] == [
        day.isoformat() for day in days
    ]
    assert len(vendors.cursor.usage_periods()) == 1
    # Cursor asked to pace its second request; nothing was really slept.
    assert vendors.sleeps and max(vendors.sleeps) <= 3.0

    # A second run re-pulls the same days and changes nothing.
    first_states = {s: (st.last_complete_day, st.last_error) for s, st in states.items()}
    code, out = sync(vendors, capsys)
    assert code == 0, out
    assert stored(engine) == rows
    assert identities(engine).keys() == known.keys()
    assert {
        s: (st.last_complete_day, st.last_error) for s, st in sync_states(engine).items()
    } == first_states

    # `uptake sources` lists every source as on and complete to --until.
    code, out, _ = run_cli(capsys, "sources")
    assert code == 0
    lines = out.splitlines()
    assert len(lines) == 4
    for source, line in zip(SOURCES, lines, strict=True):
        assert re.fullmatch(
            rf"{source}\s+on\s+last sync \d{{4}}-\d\d-\d\dT\d\d:\d\d\+00:00, "
            rf"complete to {vendors.until}",
            line,
        ), line


@pytest.mark.parametrize("failing", ["claude_code", "cursor"])
def test_one_failing_source_does_not_stop_the_others(
    vendors: Vendors, engine: Engine, capsys: pytest.CaptureFixture[str], failing: str
) -> None:
    """Claude Code fails on the middle day (after one complete day); Cursor on every request.

    Claude Code is synced before OpenAI and Cursor, so its failure must not stop them.
    """
    days, expected = vendors.days, expected_rows(vendors.days)
    if failing == "claude_code":
        server_error = Reply(anthropic.anthropic_error("api_error", "Internal server error"), 500)
        vendors.anthropic.break_day(days[1], server_error)
        path, done_days, failed_day = anthropic.REPORT_PATH, [days[0]], days[1]
    else:
        vendors.cursor.fail_usage_after = 0  # every usage request answers 500 from now on
        path, done_days, failed_day = "/teams/daily-usage-data", [], days[0]
    kept = {key: row for key, row in expected[failing].items() if key[1] in done_days}
    complete = done_days[-1].isoformat() if done_days else "nothing yet"

    code, out = sync(vendors, capsys)

    assert code == 1, out
    line = next(line for line in out.splitlines() if line.startswith(f"{failing}:"))
    assert line.startswith(
        f"{failing}: {len(done_days)} day(s), {len(kept)} row(s); complete to {complete}; "
        f"FAILED: {failing}: HTTP 500 on {path}, gave up after "
    ), line
    assert line.endswith(f"(while pulling {failed_day})"), line
    # The failing day was retried (within VENDOR_RETRY_BUDGET_SECONDS) before giving up.
    if failing == "claude_code":
        attempts = [r for r in vendors.anthropic.calls() if r.arg("starting_at") == str(days[1])]
    else:
        attempts = vendors.cursor.calls(path)
    assert len(attempts) >= 2

    rows = stored(engine)
    states = sync_states(engine)
    assert_matches(rows.get(failing, {}), kept)
    assert states[failing].last_error == line.split("; FAILED: ")[1]
    assert states[failing].last_complete_day == (done_days[-1] if done_days else None)
    for source in set(SOURCES) - {failing}:
        assert_matches(rows[source], expected[source])
        assert f"{source}: 3 day(s), {len(expected[source])} row(s); complete to " in out
        assert states[source].last_complete_day == days[-1]
        assert states[source].last_error is None

    code, out, _ = run_cli(capsys, "sources")
    assert code == 0
    status = next(line for line in out.splitlines() if line.startswith(failing))
    assert f"complete to {complete if done_days else '-'}" in status
    assert "FAILING: " in status and "HTTP 500" in status

    # Once the vendor answers again, syncing just that source completes it.
    if failing == "claude_code":
        vendors.anthropic.mend_day(days[1])
    else:
        vendors.cursor.fail_usage_after = None
    code, out = sync(vendors, capsys, "--source", failing)
    assert code == 0, out
    count = len(expected[failing])
    assert out.strip() == f"{failing}: 3 day(s), {count} row(s); complete to {vendors.until}"
    assert_matches(stored(engine)[failing], expected[failing])
    assert sync_states(engine)[failing].last_complete_day == days[-1]


@pytest.fixture
def slack_app(engine: Engine, database_url: str) -> Iterator[RunningApp]:
    """The Uptake web app over HTTP, talking to a fake Slack that knows Ada."""
    with FakeSlackAPI() as fake_slack:
        fake_slack.add_user("U0ADA", email="Ada@Example.com", tz="UTC", real_name="Ada")
        settings = make_settings(
            database_url=database_url,
            slack_bot_token="xoxb-test-token",
            slack_signing_secret=SIGNING_SECRET,
            slack_api_url=fake_slack.url,
        )
        server = start_web_app(settings, engine)
        try:
            with httpx.Client(timeout=10) as http:
                yield RunningApp(server.base_url, fake_slack, engine, settings, http)
        finally:
            server.stop()


def tool_lines(answer: dict[str, Any]) -> dict[str, str]:
    """Tool label -> its line in the answer's list of tools used."""
    tools = next(block for block in answer["blocks"] if block.get("block_id") == "myusage-tools")
    return {
        line.split("*")[1]: line for line in tools["text"]["text"].splitlines() if line[:1] == "*"
    }


def tool_details(app: RunningApp, user_id: str, answer: dict[str, Any]) -> dict[str, list[str]]:
    """Tool label -> the fields of its details, each chosen from the answer's menu."""
    tools = next(block for block in answer["blocks"] if block.get("block_id") == "myusage-tools")
    menu = tools["accessory"]
    details = {}
    for option in menu.get("options") or [menu]:
        body = app.fake.wait_for(app.click(MYUSAGE_TOOL_DETAILS, option["value"], user_id=user_id))
        section = body.body["blocks"][0]
        label = section["text"]["text"].split("*")[1]
        details[label] = [field["text"] for field in section["fields"]]
    return details


def freshness(answer: dict[str, Any]) -> str:
    """The context text with the per-source freshness line."""
    texts: list[str] = [
        element["text"]
        for block in answer["blocks"]
        if block["type"] == "context"
        for element in block["elements"]
    ]
    return next(text for text in texts if "Freshness" in text)


def test_myusage_shows_the_synced_data_with_per_source_freshness(
    vendors: Vendors,
    engine: Engine,
    slack_app: RunningApp,
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out = sync(vendors, capsys)
    assert code == 0, out
    until = vendors.days[-1]

    # Ada's first /myusage registers her, and her Slack email links the email-keyed accounts.
    first = slack_app.fake.wait_for(slack_app.command("", user_id="U0ADA")).body
    assert first["response_type"] == "ephemeral"
    assert set(tool_lines(first)) == {"Claude Code", "Cursor", "OpenAI"}
    assert "GitHub Copilot" not in freshness(first)

    # GitHub reports logins only: an admin maps Ada's login to her.
    ada = find_person(engine, slack_user_id="U0ADA")
    assert ada is not None
    admin_map(engine, "copilot", ADA.github_login, ada.id, admin="U0ADMIN")

    answer = slack_app.fake.wait_for(slack_app.command("", user_id="U0ADA")).body
    assert tool_lines(answer)["GitHub Copilot"] == (
        "*GitHub Copilot* · 3 days · accepted 45% (15 of 33) · 27 lines"
    )
    assert tool_lines(answer)["OpenAI"] == "*OpenAI* · 3 days"  # nothing it does not report
    sections = tool_details(slack_app, "U0ADA", answer)
    # Ada's three days, summed by hand from the data the fakes serve (Grace's never shows).
    assert sections == {
        "GitHub Copilot": [
            "*Active days*\n3 of 28",
            "*Interactions*\n12",
            "*Acceptance rate*\n45% (15 of 33)",
            "*Lines accepted*\n27",
            "*Features used*\ncode completion, copilot cli",
            "*Outcomes* (vendor-reported)\nlines +27/−0",
        ],
        "Claude Code": [
            "*Active days*\n3 of 28",
            "*Interactions*\n9",
            "*Acceptance rate*\n86% (18 of 21)",
            "*Lines accepted*\n93",
            "*Features used*\nedit tool",
            "*Cost* (estimated)\n$4.50",
            "*Outcomes* (vendor-reported)\nlines +93/−0 · edits accepted 18 of 21",
        ],
        "Cursor": [
            "*Active days*\n3 of 28",
            "*Interactions*\n12",
            "*Acceptance rate*\n48% (30 of 63)",
            "*Lines accepted*\n48",
            "*Features used*\nagent, chat, tab",
            "*Outcomes* (vendor-reported)\nlines +48/−0 · tab suggestions accepted 30 of 63",
        ],
        "OpenAI": [
            "*Active days*\n3 of 28",
            "*Interactions*\n24",
            "*Features used*\napi",
            "*Outcomes*\nnot reported",
        ],
    }
    text = freshness(answer)
    assert text.count("synced within the hour") == 4, text
    for source in SOURCES:
        assert f"{LABELS[source]}: synced within the hour, complete to {until:%d %b}" in text
    assert "last sync failed" not in text


def test_myusage_flags_a_source_whose_last_sync_failed_part_way(
    vendors: Vendors,
    engine: Engine,
    slack_app: RunningApp,
    capsys: pytest.CaptureFixture[str],
) -> None:
    days = vendors.days
    server_error = Reply(anthropic.anthropic_error("api_error", "Internal server error"), 500)
    vendors.anthropic.break_day(days[1], server_error)
    code, out = sync(vendors, capsys)
    assert code == 1, out

    answer = slack_app.fake.wait_for(slack_app.command("", user_id="U0ADA")).body

    text = freshness(answer)
    assert f"Claude Code: synced within the hour, complete to {days[0]:%d %b}" in text
    assert f"complete to {days[0]:%d %b} :warning: last sync failed" in text, text
