"""A fake GitHub REST API for the Copilot collector, serving GitHub's published payloads.

It serves the Copilot usage-metrics reports the way GitHub does: the report endpoint answers
with signed download links (or 204 when the day's report is not ready), and the links, on the
same fake, serve NDJSON files. It also serves the seat list with `Link` pagination, answers
the closed-down legacy metrics endpoints with 404, and can simulate GitHub's 403 rate limits
and expired download links.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import secrets
import threading
import time
import zlib
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, Literal, Self
from urllib.parse import urlencode

from tests.fakes.vendor_http import FakeVendorAPI, Reply, VendorFault, VendorRequest

PUBLISHED_DIR = Path(__file__).resolve().parents[1] / "fixtures" / "vendor-apis"
# The day in the published user-teams example.
PUBLISHED_TEAMS_DAY = dt.date(2026, 5, 7)

_SCOPE = r"/(?P<kind>orgs|enterprises)/(?P<name>[^/]+)"
_DOCS = "https://docs.github.com/rest"


def published_path(name: str) -> Path:
    """The path of a published vendor payload; fails loudly (never skips) when missing."""
    path = PUBLISHED_DIR / name
    if not path.is_file():
        raise FileNotFoundError(f"published vendor fixture is missing: {path}")
    return path


def published_user_row() -> dict[str, Any]:
    """The one user row of GitHub's published users-1-day example (shown there as an array)."""
    rows = json.loads(published_path("github-copilot-usage-report-users-1-day.json").read_text())
    assert isinstance(rows, list) and len(rows) == 1
    row: dict[str, Any] = rows[0]
    return row


def published_current_user_row() -> dict[str, Any]:
    """The user row of GitHub's current users-1-day example (AI credits, adoption phase, app)."""
    path = published_path("github-copilot-usage-report-users-1-day-current.json")
    rows = json.loads(path.read_text())
    assert isinstance(rows, list) and len(rows) == 1
    row: dict[str, Any] = rows[0]
    return row


def published_org_day() -> dict[str, Any]:
    """The first day of GitHub's published enterprise aggregate example (pull requests too)."""
    reports = json.loads(
        published_path("github-copilot-usage-report-enterprise-28-day.json").read_text()
    )
    day: dict[str, Any] = reports[0]["day_totals"][0]
    return day


def published_seats() -> list[dict[str, Any]]:
    """The seats of GitHub's published seat-list example."""
    body = json.loads(published_path("github-copilot-billing-seats.json").read_text())
    seats: list[dict[str, Any]] = body["seats"]
    return seats


def published_user_teams() -> str:
    """GitHub's published user-teams NDJSON file, byte for byte."""
    return published_path("github-copilot-usage-report-user-teams-1-day.ndjson").read_text()


def user_row(login: str, **overrides: Any) -> dict[str, Any]:
    """A user row shaped like the published example, for another login."""
    row = published_user_row()
    row["user_login"] = login
    row["user_id"] = zlib.crc32(login.encode())
    row.update(overrides)
    return row


def generated_seats(count: int, *, prefix: str = "dev") -> list[dict[str, Any]]:
    """`count` seats shaped like the published example's first seat."""
    template = published_seats()[0]
    seats = []
    for n in range(count):
        seat = copy.deepcopy(template)
        login = f"{prefix}-{n:05d}"
        seat["assignee"]["login"] = login
        seat["assignee"]["id"] = 10_000 + n
        seat["created_at"] = "2026-01-05T09:30:00Z"
        seat["last_activity_at"] = None if n % 3 == 0 else "2026-11-20T16:00:00+01:00"
        seats.append(seat)
    return seats


@dataclass
class _Link:
    """One report's signed download links."""

    files: list[bytes]
    expired_status: int | None = None


@dataclass(frozen=True)
class _RateLimit:
    kind: Literal["primary", "secondary", "secondary-no-header"]
    reset_in: int
    retry_after: int


class FakeGitHub:
    """GitHub's Copilot endpoints over real HTTP, backed by `FakeVendorAPI`.

    `usage` maps a day to that day's user rows; None serves the published example row on
    every day. A day missing from `usage` answers 204 (report not ready). `teams` maps a day
    to a user-teams NDJSON file (default: the published one, on its own day). `org_days` maps
    a day to the organisation's own 1-day report (one JSON object); other days answer 204.
    """

    def __init__(
        self,
        *,
        token: str = "ghp_fake_token_for_tests",
        org: str | None = "acme",
        enterprise: str | None = None,
        usage: dict[dt.date, list[dict[str, Any]]] | None = None,
        teams: dict[dt.date, str] | None = None,
        seats: list[dict[str, Any]] | None = None,
        files_per_day: int = 1,
        json_array_files: bool = False,
        org_days: dict[dt.date, dict[str, Any]] | None = None,
    ) -> None:
        self.api = FakeVendorAPI()
        self.token = token
        self.scopes = {("orgs", org), ("enterprises", enterprise)} - {("orgs", None)}
        self.usage = usage
        self.teams = teams if teams is not None else {PUBLISHED_TEAMS_DAY: published_user_teams()}
        self.seats = seats if seats is not None else published_seats()
        self.files_per_day = files_per_day
        self.json_array_files = json_array_files
        self.org_days = org_days or {}
        # Days whose report endpoint answers this status instead (e.g. 500).
        self.failing_days: dict[dt.date, int] = {}
        # Where the seat list's `Link` header points (None: this fake).
        self.seat_link_base: str | None = None
        self._links: dict[str, _Link] = {}
        self._born_expired: deque[int] = deque()
        self._rate_limits: deque[_RateLimit] = deque()
        self._lock = threading.Lock()
        self._routes()

    # -- set-up ------------------------------------------------------------------------------

    def _routes(self) -> None:
        reports = f"{_SCOPE}/copilot/metrics/reports"
        self.api.route("GET", f"{reports}/users-1-day", self._users_report)
        self.api.route("GET", f"{reports}/user-teams-1-day", self._teams_report)
        self.api.route("GET", f"{reports}/(organization|enterprise)-1-day", self._org_report)
        self.api.route("GET", f"{_SCOPE}/copilot/billing/seats", self._seat_page)
        self.api.route("GET", f"{_SCOPE}(/team/[^/]+)?/copilot/metrics/?", self._legacy)
        self.api.route("GET", r"/downloads/(?P<token>[^/]+)/(?P<n>\d+)\.ndjson", self._file)

    def fail_next(self, path_prefix: str, fault: VendorFault, times: int = 1) -> None:
        """Fail the next requests under `path_prefix` with a generic fault."""
        self.api.fail_next(path_prefix, fault, times)

    def rate_limit_next(
        self,
        kind: Literal["primary", "secondary", "secondary-no-header"] = "primary",
        *,
        reset_in: int = 30,
        retry_after: int = 7,
        times: int = 1,
    ) -> None:
        """Answer the next API requests with GitHub's 403 rate-limit responses.

        primary: `x-ratelimit-remaining: 0` and `x-ratelimit-reset` (epoch seconds);
        secondary: a `retry-after` header; secondary-no-header: only the message.
        """
        with self._lock:
            self._rate_limits.extend([_RateLimit(kind, reset_in, retry_after)] * times)

    def issue_expired_links(self, times: int = 1, *, status: int = 403) -> None:
        """The next `times` reports hand out links that have already expired."""
        with self._lock:
            self._born_expired.extend([status] * times)

    def expire_links(self, status: int = 403) -> None:
        """Expire every link handed out so far."""
        with self._lock:
            for link in self._links.values():
                link.expired_status = status

    # -- inspection --------------------------------------------------------------------------

    @property
    def url(self) -> str:
        """Base URL of the fake API."""
        return self.api.url

    @property
    def requests(self) -> list[VendorRequest]:
        """Every request received."""
        return self.api.calls()

    def calls(self, path_prefix: str = "") -> list[VendorRequest]:
        """Requests whose path starts with `path_prefix`."""
        return self.api.calls(path_prefix)

    def report_days(self, report: str = "users-1-day") -> list[dt.date]:
        """The days asked of a report endpoint, in order."""
        return [
            dt.date.fromisoformat(r.arg("day") or "")
            for r in self.requests
            if r.path.endswith(f"/copilot/metrics/reports/{report}")
        ]

    # -- lifecycle ---------------------------------------------------------------------------

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

    # -- the GitHub API ----------------------------------------------------------------------

    def _guard(self, request: VendorRequest) -> Reply | None:
        """GitHub's checks before any route: credentials, scope, rate limits."""
        if request.headers.get("authorization") != f"Bearer {self.token}":
            return Reply({"message": "Bad credentials", "documentation_url": _DOCS}, status=401)
        kind, name = request.path.split("/")[1:3]
        if (kind, name) not in self.scopes:
            return Reply({"message": "Not Found", "documentation_url": _DOCS}, status=404)
        with self._lock:
            limit = self._rate_limits.popleft() if self._rate_limits else None
        if limit is None:
            return None
        if limit.kind == "primary":
            return Reply(
                {"message": "API rate limit exceeded for user ID 1.", "documentation_url": _DOCS},
                status=403,
                headers={
                    "x-ratelimit-limit": "5000",
                    "x-ratelimit-remaining": "0",
                    "x-ratelimit-used": "5000",
                    "x-ratelimit-reset": str(int(time.time()) + limit.reset_in),
                    "x-ratelimit-resource": "core",
                },
            )
        message = {
            "message": "You have exceeded a secondary rate limit. Please wait a few minutes "
            "before you try again.",
            "documentation_url": _DOCS,
        }
        headers = {"retry-after": str(limit.retry_after)} if limit.kind == "secondary" else {}
        return Reply(message, status=403, headers=headers)

    def _users_report(self, request: VendorRequest) -> Reply:
        refused = self._guard(request)
        if refused is not None:
            return refused
        day = _day_arg(request)
        if day is None:
            return _unprocessable()
        if day in self.failing_days:
            return Reply({"message": "Server Error"}, status=self.failing_days[day])
        rows = [published_user_row()] if self.usage is None else self.usage.get(day)
        if rows is None:
            return Reply(status=204)
        files: list[list[dict[str, Any]]] = [[] for _ in range(self.files_per_day)]
        for n, row in enumerate(rows):
            files[n % self.files_per_day].append(_on_day(row, day))
        return self._report_links([self._file_body(rows) for rows in files], day)

    def _teams_report(self, request: VendorRequest) -> Reply:
        return self._one_file_report(request, lambda day: _encoded(self.teams.get(day)))

    def _org_report(self, request: VendorRequest) -> Reply:
        # GitHub's aggregate 1-day file is one JSON object (pretty-printed here, as the docs show).
        return self._one_file_report(
            request,
            lambda day: (
                None
                if day not in self.org_days
                else json.dumps(_on_day(self.org_days[day], day), indent=2).encode()
            ),
        )

    def _one_file_report(
        self, request: VendorRequest, file_for: Callable[[dt.date], bytes | None]
    ) -> Reply:
        """A report of one file a day; 204 for a day that has none."""
        refused = self._guard(request)
        if refused is not None:
            return refused
        day = _day_arg(request)
        if day is None:
            return _unprocessable()
        body = file_for(day)
        if body is None:
            return Reply(status=204)
        return self._report_links([body], day)

    def _file_body(self, rows: list[dict[str, Any]]) -> bytes:
        if self.json_array_files:
            return json.dumps(rows, indent=2).encode()
        return "".join(json.dumps(row) + "\n" for row in rows).encode()

    def _report_links(self, files: list[bytes], day: dt.date) -> Reply:
        token = secrets.token_hex(8)
        with self._lock:
            expired = self._born_expired.popleft() if self._born_expired else None
            self._links[token] = _Link(files, expired)
        expiry = (dt.datetime.now(dt.UTC) + dt.timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%SZ")
        signature = urlencode({"sv": "2025-01-05", "se": expiry, "sig": secrets.token_urlsafe(24)})
        links = [
            f"{self.url}/downloads/{token}/{n}.ndjson?{signature}" for n in range(1, len(files) + 1)
        ]
        # The published example's shape, with this fake's links and day.
        body = json.loads(published_path("github-copilot-metrics-report-1-day.json").read_text())
        body.update(download_links=links, report_day=day.isoformat())
        return Reply(body)

    def _file(self, request: VendorRequest) -> Reply:
        """A signed download link: blob storage, which knows nothing of GitHub tokens."""
        if "authorization" in request.headers:
            # Like S3: a signed URL plus an Authorization header is refused outright.
            return _blob_error(400, "InvalidArgument", "Only one auth mechanism allowed")
        token, number = request.path.split("/")[2], int(request.path.rsplit("/", 1)[1][:-7])
        with self._lock:
            link = self._links.get(token)
        if link is None or not 1 <= number <= len(link.files):
            return _blob_error(404, "BlobNotFound", "The specified blob does not exist.")
        if link.expired_status == 400:
            return _blob_error(400, "ExpiredToken", "The provided token has expired.")
        if link.expired_status is not None:
            return _blob_error(
                link.expired_status,
                "AuthenticationFailed",
                "Signature not valid in the specified time frame.",
            )
        return Reply(link.files[number - 1], content_type="application/x-ndjson")

    def _seat_page(self, request: VendorRequest) -> Reply:
        refused = self._guard(request)
        if refused is not None:
            return refused
        per_page = min(int(request.arg("per_page", "50") or 50), 100)
        page = int(request.arg("page", "1") or 1)
        last = max(1, -(-len(self.seats) // per_page))
        start = (page - 1) * per_page
        body = {"total_seats": len(self.seats), "seats": self.seats[start : start + per_page]}
        rels = []
        if page > 1:
            rels.append(("prev", page - 1))
        if page < last:
            rels += [("next", page + 1), ("last", last)]
        if page > 1:
            rels.append(("first", 1))
        base = f"{self.seat_link_base or self.url}{request.path}"
        links = [
            f'<{base}?{urlencode({"per_page": per_page, "page": n})}>; rel="{rel}"'
            for rel, n in rels
        ]
        return Reply(body, headers={"Link": ", ".join(links)} if links else {})

    def _legacy(self, request: VendorRequest) -> Reply:
        return Reply(
            {
                "message": "These Copilot metrics endpoints were closed down on April 2, 2026.",
                "documentation_url": _DOCS,
            },
            status=404,
        )


def _day_arg(request: VendorRequest) -> dt.date | None:
    try:
        return dt.date.fromisoformat(request.arg("day") or "")
    except ValueError:
        return None


def _encoded(text: str | None) -> bytes | None:
    return None if text is None else text.encode()


def _unprocessable() -> Reply:
    return Reply({"message": "Invalid request: day is required", "documentation_url": _DOCS}, 422)


def _on_day(row: dict[str, Any], day: dt.date) -> dict[str, Any]:
    """The row as GitHub would write it for `day` (the published example is dated 2025-10-01)."""
    row = dict(row)
    for key in ("day", "day_partition"):
        if key in row:
            row[key] = day.isoformat()
    return row


def _blob_error(status: int, code: str, message: str) -> Reply:
    body = f'<?xml version="1.0" encoding="utf-8"?><Error><Code>{code}</Code><Message>{message}'
    return Reply(body + "</Message></Error>", status=status, content_type="application/xml")
