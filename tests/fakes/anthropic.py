"""A fake Anthropic Admin API serving the Claude Code Analytics report over real HTTP.

It answers `GET /v1/organizations/usage_report/claude_code` the way VENDOR-APIS.md §2a
describes: one day per call (`starting_at=YYYY-MM-DD`), `limit` 1–1000 (default 20), an opaque
`page` cursor taken from the previous `next_page`, and `x-api-key` plus `anthropic-version`
headers. By default it holds the vendor's published example (2025-08-08).
"""

from __future__ import annotations

import base64
import binascii
import copy
import datetime as dt
import itertools
import json
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from tests.fakes.vendor_http import FakeVendorAPI, Reply, VendorFault, VendorRequest

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "vendor-apis"
REPORT_PATH = "/v1/organizations/usage_report/claude_code"
ADMIN_KEY = "sk-ant-admin01-fake-key-0123456789abcdef"
ANTHROPIC_VERSION = "2023-06-01"
PUBLISHED_DAY = dt.date(2025, 8, 8)
MAX_LIMIT = 1000
DEFAULT_LIMIT = 20


def load_fixture(name: str) -> Any:
    """A published vendor payload; a missing file is an error, never a skip."""
    path = FIXTURES / name
    if not path.is_file():
        raise FileNotFoundError(f"vendor fixture {path} is missing")
    return json.loads(path.read_text(encoding="utf-8"))


def published_report() -> dict[str, Any]:
    """The published Claude Code usage report page, exactly as documented."""
    report: dict[str, Any] = load_fixture("anthropic-claude-code-usage-report.json")
    return report


def anthropic_error(kind: str, message: str) -> dict[str, Any]:
    """An error body shaped like Anthropic's."""
    return {"type": "error", "error": {"type": kind, "message": message}}


def model_usage(
    model: str = "claude-sonnet-4-20250514",
    *,
    input: int = 0,
    output: int = 0,
    cache_read: int = 0,
    cache_creation: int = 0,
    cost_cents: float | None = 0,
    currency: str = "USD",
) -> dict[str, Any]:
    """One `model_breakdown` entry (cost omitted when `cost_cents` is None)."""
    entry: dict[str, Any] = {
        "model": model,
        "tokens": {
            "input": input,
            "output": output,
            "cache_read": cache_read,
            "cache_creation": cache_creation,
        },
    }
    if cost_cents is not None:
        entry["estimated_cost"] = {"currency": currency, "amount": cost_cents}
    return entry


def claude_code_row(
    day: dt.date,
    *,
    email: str | None = None,
    api_key_name: str | None = None,
    date_style: str = "timestamp",
    sessions: int = 1,
    lines_added: int = 0,
    lines_removed: int = 0,
    commits: int = 0,
    pull_requests: int = 0,
    tools: dict[str, tuple[int, int]] | None = None,
    models: list[dict[str, Any]] | None = None,
    terminal_type: str = "vscode",
    customer_type: str = "subscription",
) -> dict[str, Any]:
    """A report row in the documented shape; `tools` maps tool name to (accepted, rejected)."""
    if (email is None) == (api_key_name is None):
        raise ValueError("give exactly one of email or api_key_name")
    actor = (
        {"type": "user_actor", "email_address": email}
        if email is not None
        else {"type": "api_actor", "api_key_name": api_key_name}
    )
    date = day.isoformat() if date_style == "date" else f"{day.isoformat()}T00:00:00Z"
    return {
        "date": date,
        "actor": actor,
        "organization_id": "12345678-1234-5678-1234-567812345678",
        "customer_type": customer_type,
        "terminal_type": terminal_type,
        "core_metrics": {
            "num_sessions": sessions,
            "lines_of_code": {"added": lines_added, "removed": lines_removed},
            "commits_by_claude_code": commits,
            "pull_requests_by_claude_code": pull_requests,
        },
        "tool_actions": {
            name: {"accepted": accepted, "rejected": rejected}
            for name, (accepted, rejected) in (tools or {}).items()
        },
        "model_breakdown": list(models or []),
    }


def generated_day(day: dt.date, people: int) -> list[dict[str, Any]]:
    """A large day: every third person works in two terminals, so has two rows to sum.

    Person i has, over the day: i % 5 sessions, edit_tool (i % 4 accepted, i % 3 rejected),
    i % 50 lines added, 100 + i input, 10 + i output tokens and i % 7 cents of estimated cost.
    """
    rows = []
    for i in range(people):
        email = f"engineer{i:05d}@example.com"
        totals = {
            "sessions": i % 5,
            "accepted": i % 4,
            "rejected": i % 3,
            "lines": i % 50,
            "input": 100 + i,
            "output": 10 + i,
            "cost": i % 7,
        }
        parts = [totals]
        if i % 3 == 0:
            first = {key: value // 2 for key, value in totals.items()}
            parts = [first, {key: totals[key] - first[key] for key in totals}]
        for n, part in enumerate(parts):
            rows.append(
                claude_code_row(
                    day,
                    email=email,
                    sessions=part["sessions"],
                    lines_added=part["lines"],
                    terminal_type="vscode" if n == 0 else "iTerm.app",
                    tools={"edit_tool": (part["accepted"], part["rejected"])},
                    models=[
                        model_usage(
                            input=part["input"], output=part["output"], cost_cents=part["cost"]
                        )
                    ],
                )
            )
    # Interleave so one person's rows usually land on different pages.
    return rows[::2] + rows[1::2]


def encode_cursor(day: dt.date, offset: int) -> str:
    """An opaque cursor in the published style (`page_` + base64)."""
    raw = f"{day.isoformat()}T00:00:00Z#{offset}".encode()
    return "page_" + base64.b64encode(raw).decode()


def decode_cursor(cursor: str) -> tuple[dt.date, int] | None:
    """The day and offset a generated cursor stands for, or None."""
    if not cursor.startswith("page_"):
        return None
    try:
        stamp, offset = base64.b64decode(cursor[5:], validate=True).decode().split("#")
        return dt.date.fromisoformat(stamp[:10]), int(offset)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None


class FakeAnthropic:
    """The Claude Code usage report, a day's rows at a time, over a `FakeVendorAPI`."""

    def __init__(
        self,
        *,
        admin_key: str = ADMIN_KEY,
        days: dict[dt.date, list[dict[str, Any]]] | None = None,
        max_page_size: int | None = None,
    ) -> None:
        self.api = FakeVendorAPI()
        self.admin_key = admin_key
        self.days: dict[dt.date, list[dict[str, Any]]] = (
            {PUBLISHED_DAY: copy.deepcopy(published_report()["data"])}
            if days is None
            else dict(days)
        )
        # Servers may return fewer rows than `limit`; this caps every page.
        self.max_page_size = max_page_size
        self._verbatim: dict[dt.date, list[dict[str, Any]]] = {}
        self._broken: dict[dt.date, Reply] = {}
        self.api.route("GET", REPORT_PATH, self._report)

    # -- set-up -------------------------------------------------------------------------------

    def set_rows(self, day: dt.date, rows: list[dict[str, Any]]) -> None:
        """Make `rows` the day's report (paginated by the fake)."""
        self.days[day] = rows

    def set_pages(self, day: dt.date, pages: list[dict[str, Any]]) -> None:
        """Serve these bodies verbatim: the first without a cursor, each next one at the cursor
        the previous body gave as `next_page`."""
        self._verbatim[day] = pages

    def break_day(self, day: dt.date, reply: Reply) -> None:
        """Answer every request for `day` with `reply` until `mend_day`."""
        self._broken[day] = reply

    def mend_day(self, day: dt.date) -> None:
        """Serve `day` normally again."""
        self._broken.pop(day, None)

    def fail_next(self, fault: VendorFault, times: int = 1) -> None:
        """Fail the next `times` report requests with `fault`."""
        self.api.fail_next(REPORT_PATH, fault, times)

    # -- inspection ---------------------------------------------------------------------------

    @property
    def url(self) -> str:
        """Base URL, no trailing slash."""
        return self.api.url

    def calls(self) -> list[VendorRequest]:
        """Report requests received, in order."""
        return self.api.calls(REPORT_PATH)

    # -- lifecycle ----------------------------------------------------------------------------

    def start(self) -> Self:
        """Serve on a free port."""
        self.api.start()
        return self

    def stop(self) -> None:
        """Stop serving."""
        self.api.stop()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- serving ------------------------------------------------------------------------------

    def _report(self, request: VendorRequest) -> Reply:
        if request.headers.get("x-api-key") != self.admin_key:
            return Reply(anthropic_error("authentication_error", "invalid x-api-key"), 401)
        if "anthropic-version" not in request.headers:
            return _bad_request("anthropic-version: header is required")
        starting_at = request.arg("starting_at")
        try:
            if starting_at is None or len(starting_at) != 10:
                raise ValueError
            day = dt.date.fromisoformat(starting_at)
        except ValueError:
            return _bad_request("starting_at: must be a date in YYYY-MM-DD format")
        try:
            limit = int(request.arg("limit", str(DEFAULT_LIMIT)) or "")
        except ValueError:
            return _bad_request("limit: must be an integer")
        if not 1 <= limit <= MAX_LIMIT:
            return _bad_request(f"limit: must be between 1 and {MAX_LIMIT}")
        if day in self._broken:
            return self._broken[day]
        cursor = request.arg("page")
        if day in self._verbatim:
            return self._verbatim_page(day, cursor)
        offset = 0
        if cursor is not None:
            decoded = decode_cursor(cursor)
            if decoded is None or decoded[0] != day:
                return _bad_request("page: invalid page cursor")
            offset = decoded[1]
        rows = self.days.get(day, [])
        size = min(limit, self.max_page_size or limit)
        end = offset + size
        has_more = end < len(rows)
        return Reply(
            {
                "data": rows[offset:end],
                "has_more": has_more,
                "next_page": encode_cursor(day, end) if has_more else None,
            }
        )

    def _verbatim_page(self, day: dt.date, cursor: str | None) -> Reply:
        pages = self._verbatim[day]
        if cursor is None:
            return Reply(pages[0])
        for previous, page in itertools.pairwise(pages):
            if previous.get("next_page") == cursor:
                return Reply(page)
        return _bad_request("page: invalid page cursor")


def _bad_request(message: str) -> Reply:
    return Reply(anthropic_error("invalid_request_error", message), 400)
