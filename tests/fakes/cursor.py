"""A fake Cursor Admin API: daily usage by date range, team members, Basic auth, rate limit.

It serves Cursor's published example payloads by default (VENDOR-APIS.md section 4) and
behaves the way the real API is documented to, plus two assumptions of ours, marked below.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import random
import threading
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from tests.fakes.vendor_http import FakeVendorAPI, Reply, VendorRequest

PUBLISHED_DIR = Path(__file__).resolve().parents[1] / "fixtures" / "vendor-apis"
DAY_MS = 86_400_000
MAX_RANGE_MS = 30 * DAY_MS
RATE_LIMIT = 20  # requests a minute per team
# The 429 body Cursor documents.
TOO_MANY = {"error": "Too Many Requests", "message": "Rate limit exceeded. Please try again later."}


def published(name: str) -> Any:
    """A published payload; a missing fixture fails the test rather than skipping it."""
    path = PUBLISHED_DIR / name
    if not path.is_file():
        raise AssertionError(f"published vendor fixture missing: {path}")
    return json.loads(path.read_text())


def epoch_ms(day: dt.date) -> int:
    """Midnight UTC of `day` in epoch milliseconds, as Cursor dates its rows."""
    return (day - dt.date(1970, 1, 1)).days * DAY_MS


def usage_row(email: str, day: dt.date, **counts: Any) -> dict[str, Any]:
    """A daily usage row with every documented field, zero unless given."""
    row: dict[str, Any] = {
        "date": epoch_ms(day),
        "isActive": True,
        "totalLinesAdded": 0,
        "totalLinesDeleted": 0,
        "acceptedLinesAdded": 0,
        "acceptedLinesDeleted": 0,
        "totalApplies": 0,
        "totalAccepts": 0,
        "totalRejects": 0,
        "totalTabsShown": 0,
        "totalTabsAccepted": 0,
        "composerRequests": 0,
        "chatRequests": 0,
        "agentRequests": 0,
        "cmdkUsages": 0,
        "subscriptionIncludedReqs": 0,
        "apiKeyReqs": 0,
        "usageBasedReqs": 0,
        "bugbotUsages": 0,
        "mostUsedModel": "claude-4-sonnet",
        "applyMostUsedExtension": ".py",
        "tabMostUsedExtension": ".py",
        "clientVersion": "1.4.2",
        "email": email,
    }
    row.update(counts)
    return row


def generate_rows(
    emails: Sequence[str], days: Iterable[dt.date], seed: int = 7
) -> list[dict[str, Any]]:
    """A big, repeatable dataset: most members use Cursor most days, some not at all."""
    rng = random.Random(seed)
    rows = []
    for day in days:
        for email in emails:
            if rng.random() < 0.25:
                continue  # no row: Cursor sends nothing for a member that day
            if rng.random() < 0.1:
                rows.append(usage_row(email, day, isActive=False))
                continue
            shown = rng.randint(0, 400)
            applies = rng.randint(0, 60)
            rows.append(
                usage_row(
                    email,
                    day,
                    totalLinesAdded=rng.randint(0, 3000),
                    acceptedLinesAdded=rng.randint(0, 1500),
                    totalLinesDeleted=rng.randint(0, 900),
                    totalApplies=applies,
                    totalAccepts=rng.randint(0, applies),
                    totalRejects=rng.randint(0, 10),
                    totalTabsShown=shown,
                    totalTabsAccepted=rng.randint(0, shown),
                    composerRequests=rng.choice([0, rng.randint(1, 50)]),
                    chatRequests=rng.randint(0, 90),
                    agentRequests=rng.choice([0, 0, rng.randint(1, 30)]),
                    cmdkUsages=rng.randint(0, 40),
                    bugbotUsages=rng.choice([0, 0, 0, rng.randint(1, 5)]),
                    subscriptionIncludedReqs=rng.randint(0, 200),
                    # A field Cursor may add one day: collectors must ignore it.
                    someFutureField={"nested": [1, 2]},
                )
            )
    return rows


class FakeCursor(FakeVendorAPI):
    """Cursor's Admin API on 127.0.0.1: `POST /teams/daily-usage-data`, `GET /teams/members`.

    Assumptions (the docs do not say):
    - A range longer than 30 days is refused with 400 and a JSON error, as a validating API
      would; exactly 30 days is allowed.
    - `end_inclusive` picks how `endDate` is read: False serves rows with
      startDate <= date < endDate, True serves date <= endDate. The published example fits both.
    With a `clock`, requests are time-stamped and the documented 20-a-minute limit is enforced
    on that clock with the documented 429 body and a Retry-After header.
    """

    def __init__(
        self,
        *,
        api_key: str = "key_test_cursor_0123456789",
        rows: list[dict[str, Any]] | None = None,
        members: list[Any] | None = None,
        members_as_bare_array: bool = False,
        end_inclusive: bool = False,
        clock: Callable[[], float] | None = None,
        rate_limit: int = RATE_LIMIT,
    ) -> None:
        super().__init__()
        self.api_key = api_key
        self.rows = published("cursor-daily-usage-data.json")["data"] if rows is None else rows
        self.members = (
            published("cursor-teams-members.json")["teamMembers"] if members is None else members
        )
        self.members_as_bare_array = members_as_bare_array
        self.end_inclusive = end_inclusive
        self.clock = clock
        self.rate_limit = rate_limit
        # After this many successful usage answers, every further usage request gets a 500.
        self.fail_usage_after: int | None = None
        # A body to send instead of the usage answer (e.g. a malformed row), by request number.
        self.usage_overrides: dict[int, Any] = {}
        # A body to send instead of the member list (e.g. a malformed one).
        self.members_body: Any = None
        self.stamps: list[tuple[str, float]] = []  # (path, clock) of every routed request
        self.rate_limited = 0
        self._served_usage = 0
        self._usage_seen = 0
        self._state = threading.Lock()
        self.route("POST", r"/teams/daily-usage-data", self._daily_usage)
        self.route("GET", r"/teams/members", self._team_members)
        # The AI code tracking report's commits (Enterprise); None: the team has no access.
        self.ai_commits: list[dict[str, Any]] | None = None
        self.route("GET", r"/analytics/ai-code/commits", self._ai_code_commits)

    # -- inspection --------------------------------------------------------------------------

    def usage_periods(self) -> list[tuple[int, int]]:
        """(startDate, endDate) of every usage request that carried them."""
        return [
            (r.body["startDate"], r.body["endDate"])
            for r in self.calls("/teams/daily-usage-data")
            if isinstance(r.body, dict) and "startDate" in r.body and "endDate" in r.body
        ]

    # -- routes ------------------------------------------------------------------------------

    def _gate(self, request: VendorRequest) -> Reply | None:
        """Auth, then the rate limit; None when the request may proceed."""
        expected = "Basic " + base64.b64encode(f"{self.api_key}:".encode()).decode()
        if request.headers.get("authorization") != expected:
            return Reply({"error": "Unauthorized", "message": "Invalid API key"}, status=401)
        if self.clock is None:
            return None
        now = self.clock()
        with self._state:
            recent = [t for _, t in self.stamps if now - t < 60.0]
            if len(recent) >= self.rate_limit:
                self.rate_limited += 1
                retry_after = max(1, int(60.0 - (now - recent[0])) + 1)
                return Reply(TOO_MANY, status=429, headers={"Retry-After": str(retry_after)})
            self.stamps.append((request.path, now))
        return None

    def _daily_usage(self, request: VendorRequest) -> Reply:
        refused = self._gate(request)
        if refused is not None:
            return refused
        with self._state:
            number = self._usage_seen
            self._usage_seen += 1
            if self.fail_usage_after is not None and self._served_usage >= self.fail_usage_after:
                return Reply({"error": "Internal Server Error"}, status=500)
        body = request.body
        if not isinstance(body, dict):
            return _bad_request("Request body must be JSON")
        start, end = body.get("startDate"), body.get("endDate")
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in (start, end)):
            return _bad_request("startDate and endDate are required (epoch milliseconds)")
        assert isinstance(start, int) and isinstance(end, int)
        if end < start:
            return _bad_request("startDate must be before endDate")
        if end - start > MAX_RANGE_MS:
            return _bad_request("Date range cannot exceed 30 days")
        with self._state:
            self._served_usage += 1
        if number in self.usage_overrides:
            return Reply(self.usage_overrides[number])
        inside = [
            row
            for row in self.rows
            if start <= row["date"]
            and (row["date"] <= end if self.end_inclusive else row["date"] < end)
        ]
        return Reply({"data": inside, "period": {"startDate": start, "endDate": end}})

    def _team_members(self, request: VendorRequest) -> Reply:
        refused = self._gate(request)
        if refused is not None:
            return refused
        if self.members_body is not None:
            return Reply(self.members_body)
        if self.members_as_bare_array:
            return Reply(self.members)
        return Reply({"teamMembers": self.members})

    def _ai_code_commits(self, request: VendorRequest) -> Reply:
        """`{items, totalCount, page, pageSize}` of the commits between startDate and endDate."""
        refused = self._gate(request)
        if refused is not None:
            return refused
        if self.ai_commits is None:
            return Reply({"error": "Not Found", "message": "Not available"}, status=404)
        try:
            start = dt.datetime.fromisoformat(request.arg("startDate") or "")
            end = dt.datetime.fromisoformat(request.arg("endDate") or "")
            page = int(request.arg("page", "1") or "1")
            size = int(request.arg("pageSize", "100") or "100")
        except ValueError:
            return _bad_request("startDate, endDate, page and pageSize must be valid")
        if not 1 <= size <= 1000:
            return _bad_request("pageSize must be between 1 and 1000")
        inside = [
            item
            for item in self.ai_commits
            if start <= dt.datetime.fromisoformat(item["commitTs"]) < end
        ]
        items = inside[(page - 1) * size : page * size]
        return Reply({"items": items, "totalCount": len(inside), "page": page, "pageSize": size})


def _bad_request(message: str) -> Reply:
    return Reply({"error": "Bad Request", "message": message}, status=400)
