"""GitHub Copilot: per-user daily usage from the usage-metrics reports, plus seats and teams.

GitHub serves each day's per-user report in two steps: the API answers with signed download
links (no rows inline), and the files behind them are NDJSON, one user per line. The legacy
`/copilot/metrics` endpoints were closed down on 2026-04-02 and are never called.

Decisions beyond the vendor's documentation (how rows are read: `usage.py`):
- A user is keyed by their login, lower-cased (GitHub logins are case-insensitive); the report
  carries no email, so identities are linked by admin mapping or self-claim, not by email.
- GitHub does not document how an expired download link fails (blob stores answer 403 or 400),
  and fresh links are the only remedy for any failed download, so every failed download asks
  for fresh links, at most `MAX_LINK_REFRESHES` times, before the day fails.
- A row's `day`, and the report's `report_day`, must be the day asked for: a file for another
  day would be written under the wrong date.
- 204 and 404 for a day both mean "no report yet" (GitHub's T-1 report lands some hours after
  midnight UTC); the day is retried on the next run, never recorded as zero usage.
- The organisation's own report (pull requests by Copilot, time to merge, per adoption phase)
  is read beside each day's user report; when it is not ready or cannot be read the day's
  user rows are still written, without organisation figures.
- Seats not assigned to a user (no assignee login) are skipped; so are GitHub teams whose slug
  would not fit Uptake's team slug column.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar
from urllib.parse import quote

import httpx
from sqlalchemy.engine import Engine

from bot.collectors.base import (
    Collector,
    CollectorError,
    DayReport,
    MalformedReport,
    ReportNotReady,
    VendorRecord,
)
from bot.collectors.copilot.fields import Fields, report_rows
from bot.collectors.copilot.github import origin, rate_limit_wait, url_path
from bot.collectors.copilot.roster import seat_of, team_membership_of
from bot.collectors.copilot.usage import merge, org_figures_of, usage_of
from bot.collectors.http import (
    RequestBudget,
    VendorHTTP,
    decode_json,
    page_numbers,
)
from bot.settings import Settings
from storage.engine import session as open_session
from storage.identities import ensure_identities
from storage.memberships import replace_vendor_teams
from storage.seats import replace_seats

logger = logging.getLogger(__name__)

T = TypeVar("T")

API_VERSION = "2022-11-28"
USER_AGENT = "uptake-copilot-collector"
# GitHub's usage reports start here (GH-SPEC); the API reaches back one year.
REPORTS_START = dt.date(2025, 10, 10)
MAX_LINK_REFRESHES = 2
SEATS_PER_PAGE = 100
# A report file holds one line per user for one day: generous, but still a cap on memory.
MAX_REPORT_FILE_BYTES = 256 * 1024 * 1024
TEAM_SOURCE = "github"
# Team.slug holds 100 characters, and vendor team slugs carry a "github:" prefix.
_MAX_TEAM_KEY = 100
_RATE_LIMIT_ATTEMPTS = 6

_PERMISSION_HINTS = {
    ("org", "reports"): "read:org, or the 'Organization Copilot metrics' read permission",
    ("org", "seats"): "manage_billing:copilot or read:org",
    ("enterprise", "reports"): "manage_billing:copilot or read:enterprise",
    ("enterprise", "seats"): "manage_billing:copilot or read:enterprise",
}


class CopilotCollector(Collector):
    """Pulls GitHub Copilot usage per user and day, Copilot seats, and GitHub team membership."""

    source = "copilot"
    tool = "copilot"
    earliest_day = REPORTS_START
    history_days = 365

    def __init__(self, settings: Settings, *, sleep: Callable[[float], None] = time.sleep) -> None:
        if settings.github_token is None:
            raise CollectorError(f"{self.source}: GITHUB_TOKEN is not set")
        if settings.github_enterprise:
            self._scope_kind = "enterprise"
            self._scope = f"/enterprises/{quote(settings.github_enterprise, safe='')}"
        elif settings.github_org:
            self._scope_kind = "org"
            self._scope = f"/orgs/{quote(settings.github_org, safe='')}"
        else:
            raise CollectorError(f"{self.source}: set GITHUB_ORG or GITHUB_ENTERPRISE")
        self._api_origin = origin(settings.github_api_url)
        # Report files hold usage per person: only plain HTTP when the API itself is (tests).
        self._link_schemes = (
            ("https://", "http://") if self._api_origin[0] == "http" else ("https://",)
        )
        self._sleep = sleep
        self._retry_budget = settings.vendor_retry_budget_seconds
        common: dict[str, Any] = {
            "timeout": settings.vendor_timeout_seconds,
            "retry_budget": settings.vendor_retry_budget_seconds,
            "sleep": sleep,
            "budget": RequestBudget(self.source),  # one budget for the API and the downloads
        }
        self._api = VendorHTTP(
            self.source,
            settings.github_api_url,
            headers={
                "Authorization": f"Bearer {settings.github_token.get_secret_value()}",
                "Accept": "application/vnd.github+json",
                "X-GitHub-Api-Version": API_VERSION,
                "User-Agent": USER_AGENT,
            },
            **common,
        )
        # Download links are signed URLs on another host: the GitHub token must never go there.
        self._downloads = VendorHTTP(
            self.source,
            "",
            headers={"User-Agent": USER_AGENT},
            max_body_bytes=MAX_REPORT_FILE_BYTES,
            **common,
        )

    # -- daily usage -------------------------------------------------------------------------

    def fetch(self, days: Sequence[dt.date]) -> Iterator[DayReport]:
        """Yield each day's per-user usage; `ReportNotReady` at the first day GitHub lacks."""
        for day in days:
            if day < REPORTS_START:
                raise CollectorError(
                    f"{self.source}: GitHub keeps no usage reports before {REPORTS_START} "
                    f"(asked for {day})"
                )
            rows = self._read_report("users-1-day", day, usage_of)
            if rows is None:
                raise ReportNotReady(f"{self.source}: GitHub has no usage report for {day} yet")
            by_login: dict[str, dict[str, Any]] = {}
            for login, metrics in rows:
                seen = by_login.get(login)
                by_login[login] = metrics if seen is None else merge(seen, metrics)
            yield DayReport(
                day=day,
                records=[
                    VendorRecord(external_id=login, metrics=metrics)
                    for login, metrics in sorted(by_login.items())
                ],
                org_figures=self._org_figures(day),
            )

    def _org_figures(self, day: dt.date) -> dict[tuple[str, str], float] | None:
        """The organisation's own figures for the day; None when GitHub has none to give.

        They come second to the people's usage: a failure here is logged, and the day's user
        rows are written all the same.
        """
        report = "enterprise-1-day" if self._scope_kind == "enterprise" else "organization-1-day"
        try:
            rows = self._read_report(report, day, org_figures_of)
        except CollectorError as exc:
            logger.warning("%s: %s report for %s not read (%s)", self.source, report, day, exc)
            return None
        if rows is None:
            return None
        figures: dict[tuple[str, str], float] = {}
        for row in rows:
            figures.update(row)
        return figures

    # -- seats and teams ---------------------------------------------------------------------

    def sync_extras(self, engine: Engine, now: dt.datetime) -> None:
        """Replace the Copilot seat list, then GitHub team membership for the latest day."""
        synced_at = now.astimezone(dt.UTC)
        seats = [{**seat, "synced_at": synced_at} for seat in self._seats()]
        with open_session(engine) as session:
            ensure_identities(session, [(self.tool, seat["external_id"]) for seat in seats])
            replace_seats(session, self.tool, seats)
            session.commit()
        self._sync_teams(engine, now)

    def _seats(self) -> list[dict[str, Any]]:
        """Every assigned seat, following GitHub's `Link: rel="next"` pages."""
        url: str | None = f"{self._scope}/copilot/billing/seats"
        params: dict[str, Any] | None = {"per_page": SEATS_PER_PAGE}
        seats: dict[str, dict[str, Any]] = {}
        visited: set[str] = set()
        for page in page_numbers(self.source, "seat list", self.max_pages):
            if url is None:
                break
            where = f"{self.source}: seat list page {page}"
            response = self._api_get(url, params=params)
            if response.status_code != 200:
                raise self._refused(response, "seats", "Copilot seat list")
            body = Fields(decode_json(self.source, response, url), where)
            for seat in body.objects("seats", required=True):
                parsed = seat_of(seat)
                if parsed is not None:
                    # Seats assigned while paging can repeat; the later page wins.
                    seats[parsed["external_id"]] = parsed
            url = self._next_page(response, visited)
            params = None  # the next link carries the query
        return list(seats.values())

    def _next_page(self, response: httpx.Response, visited: set[str]) -> str | None:
        """The `rel="next"` link, checked to stay on the GitHub API (it gets the token)."""
        link = response.links.get("next", {}).get("url")
        if not link:
            return None
        if origin(link) != self._api_origin:
            raise MalformedReport(
                f"{self.source}: the seat list's next page points away from the GitHub API"
            )
        if link in visited:
            raise MalformedReport(f"{self.source}: the seat list's next page repeats a page")
        visited.add(link)
        return link

    def _sync_teams(self, engine: Engine, now: dt.datetime) -> None:
        """Store GitHub team membership from the user-teams report of the latest complete day."""
        day = self.latest_complete_day(now)
        if day < REPORTS_START:
            return
        pairs = self._read_report("user-teams-1-day", day, team_membership_of)
        if pairs is None:
            logger.info("%s: no user-teams report for %s yet; teams unchanged", self.source, day)
            return
        names: dict[str, str] = {}
        logins: dict[str, set[str]] = {}
        skipped = 0
        for slug, login in pairs:
            key = f"{TEAM_SOURCE}:{slug}"
            if len(key) > _MAX_TEAM_KEY:
                skipped += 1
                continue
            names[key] = slug
            logins.setdefault(key, set()).add(login)
        if skipped:
            logger.warning("%s: skipped %d team rows with over-long slugs", self.source, skipped)
        with open_session(engine) as session:
            ids = ensure_identities(
                session, {(self.tool, login) for members in logins.values() for login in members}
            )
            replace_vendor_teams(
                session,
                TEAM_SOURCE,
                names,
                {
                    key: {ids[(self.tool, login)] for login in members}
                    for key, members in logins.items()
                },
            )
            session.commit()

    # -- the two-step report download --------------------------------------------------------

    def _read_report(
        self, report: str, day: dt.date, parse: Callable[[Fields, dt.date], T]
    ) -> list[T] | None:
        """Every row of one day's report, parsed; None when GitHub has no report yet."""
        refreshes = 0
        while True:
            links = self._report_links(report, day)
            if links is None:
                return None
            try:
                parsed: list[T] = []
                for number, link in enumerate(links, 1):
                    where = f"{self.source}: {report} report for {day}, file {number}"
                    parsed.extend(parse(row, day) for row in self._download(link, where))
                return parsed
            except _DownloadFailed as exc:
                if refreshes >= MAX_LINK_REFRESHES:
                    raise CollectorError(
                        f"{self.source}: could not download the {report} report for {day} "
                        f"after {refreshes} link refreshes ({exc})"
                    ) from exc
                refreshes += 1
                logger.warning(
                    "%s: downloading the %s report for %s failed (%s); asking for fresh links",
                    self.source,
                    report,
                    day,
                    exc,
                )

    def _report_links(self, report: str, day: dt.date) -> list[str] | None:
        """The signed download links of one day's report; None for 204 or 404 (not ready)."""
        path = f"{self._scope}/copilot/metrics/reports/{report}"
        response = self._api_get(path, params={"day": day.isoformat()})
        if response.status_code in (204, 404):
            return None
        if response.status_code != 200:
            raise self._refused(response, "reports", f"{report} report for {day}")
        body = Fields(
            decode_json(self.source, response, path), f"{self.source}: {report} report for {day}"
        )
        report_day = body.optional_date("report_day")
        if report_day is not None and report_day != day:
            raise body.bad("report_day", f"is {report_day}, not the day asked for")
        links = body.texts("download_links")
        for link in links:
            if not link.startswith(self._link_schemes):
                raise body.bad("download_links", "holds something other than an https URL")
        return links

    def _download(self, link: str, where: str) -> Iterator[Fields]:
        """The rows of one report file, without GitHub credentials on the request."""
        try:
            response = self._downloads.request("GET", link)
        except MalformedReport:
            raise
        except CollectorError as exc:
            raise _DownloadFailed(str(exc).removeprefix(f"{self.source}: ")) from exc
        if response.status_code >= 300:
            raise _DownloadFailed(f"HTTP {response.status_code} on {url_path(link)}")
        return report_rows(response.content, where)

    # -- GitHub's API conventions ------------------------------------------------------------

    def _api_get(self, url: str, **kwargs: Any) -> httpx.Response:
        """GET from the GitHub API, waiting out GitHub's 403 rate limits within the budget."""
        waited = 0.0
        for attempt in range(1, _RATE_LIMIT_ATTEMPTS + 1):
            response = self._api.request("GET", url, **kwargs)
            wait = rate_limit_wait(response)
            if wait is None:
                return response
            if attempt == _RATE_LIMIT_ATTEMPTS or waited + wait > self._retry_budget:
                break
            logger.warning(
                "%s: GitHub rate limit on %s; waiting %.0fs", self.source, url_path(url), wait
            )
            self._sleep(wait)
            waited += wait
        raise CollectorError(
            f"{self.source}: GitHub rate limit on {url_path(url)} did not lift within the retry "
            f"budget (next wait {wait:.0f}s)"
        )

    def _refused(self, response: httpx.Response, kind: str, what: str) -> CollectorError:
        """The error for an answer the collector cannot use, saying what an admin can fix."""
        if response.status_code == 403:
            hint = _PERMISSION_HINTS[(self._scope_kind, kind)]
            return CollectorError(
                f"{self.source}: GitHub refused access to the {what} (403); the token needs {hint}"
            )
        if response.status_code == 404:
            return CollectorError(
                f"{self.source}: GitHub found no {what} (404); check GITHUB_ORG or "
                "GITHUB_ENTERPRISE and that the token can see it"
            )
        return CollectorError(f"{self.source}: HTTP {response.status_code} for {what}")

    def close(self) -> None:
        """Close both connection pools."""
        self._api.close()
        self._downloads.close()


class _DownloadFailed(Exception):
    """A report file could not be downloaded (most likely its signed link expired)."""
