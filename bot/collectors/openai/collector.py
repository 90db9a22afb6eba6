"""OpenAI: each organization user's daily API usage, read through the official `openai` SDK.

The Admin API's completions usage endpoint, grouped by user and model, gives one bucket per UTC
day with a result per user and model (requests and tokens). Requests to Codex models are Codex
used through the API (the Codex CLI or IDE extension on an API key) and count as the person's
agent requests. User ids are mapped to emails with the users list so that an account links to
the Slack user with the same email. Costs are not stored: the cost report is billed per
project, key and line item, not per person.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import logging
import time
from collections.abc import Callable, Iterator, Sequence
from typing import TypeVar

import openai
from openai.pagination import SyncConversationCursorPage
from openai.types.admin.organization.organization_user import OrganizationUser
from openai.types.admin.organization.usage_completions_response import (
    DataResultOrganizationUsageCompletionsResult,
    UsageCompletionsResponse,
)

from bot.collectors.base import (
    Collector,
    CollectorError,
    DayReport,
    MalformedReport,
    ReportNotReady,
)
from bot.collectors.http import (
    MAX_BODY_BYTES,
    RETRYABLE_STATUS,
    BodyTooLarge,
    RequestBudget,
    page_numbers,
)
from bot.collectors.openai.transport import CappedTransport, backoff, retry_after
from bot.collectors.openai.usage import (
    MAX_WINDOW_DAYS,
    USAGE_PATH,
    Usage,
    bucket_day,
    check_no_gaps,
    is_codex,
    linkable_email,
    midnight,
    record,
    windows,
)
from bot.settings import Settings

logger = logging.getLogger(__name__)

_T = TypeVar("_T")

USERS_PATH = "/organization/users"
USERS_PAGE_SIZE = 100
MAX_ATTEMPTS = 8
# Besides 429 and 5xx, the SDK treats 408 (request timeout) and 409 (lock timeout) as transient.
RETRY_STATUS = RETRYABLE_STATUS | {408, 409}


class OpenAICollector(Collector):
    """Daily API usage per OpenAI organization user (completions, grouped by `user_id`).

    Usage the API reports without a `user_id` can be credited to nobody and is skipped.
    Service accounts are organization users too: their usage is kept under their user id,
    but they are never linked to a person by email, since no person stands behind them (an
    admin can still map one).
    """

    source = "openai"
    tool = "openai"

    def __init__(self, settings: Settings, *, sleep: Callable[[float], None] = time.sleep) -> None:
        if settings.openai_admin_key is None:
            raise CollectorError("openai: OPENAI_ADMIN_KEY is not set")
        timeout = settings.vendor_timeout_seconds
        self._client = openai.OpenAI(
            # Admin endpoints send only the admin key. An empty project key (rather than None)
            # also keeps the SDK from reading OPENAI_API_KEY from the environment.
            api_key="",
            admin_api_key=settings.openai_admin_key.get_secret_value(),
            base_url=settings.openai_admin_base_url,
            timeout=openai.Timeout(timeout, connect=min(timeout, 10.0)),
            # Retries happen in `_call`: the SDK's own would sleep outside the retry budget and
            # outside the injected clock.
            max_retries=0,
            # Check pages against the SDK's models, instead of building partial objects from a
            # body with missing or mistyped fields.
            _strict_response_validation=True,
            http_client=openai.DefaultHttpxClient(transport=CappedTransport(MAX_BODY_BYTES)),
        )
        # The admin key already names its organization; OPENAI_ORG_ID and OPENAI_PROJECT_ID,
        # which the SDK reads from the environment, belong to other uses of the package.
        self._client.organization = None
        self._client.project = None
        self._retry_budget = settings.vendor_retry_budget_seconds
        self._budget = RequestBudget(self.source)
        self._sleep = sleep
        self._directory: dict[str, str | None] | None = None

    def fetch(self, days: Sequence[dt.date]) -> Iterator[DayReport]:
        """Yield each day's usage, a window of up to 31 days at a time.

        A window's days are yielded only once all its pages are fetched and valid, so a bad
        page writes nothing from its window. A day with no bucket after the last day the API
        returned is not ready yet; a day missing between returned days is an error.
        """
        self._directory = None  # users join and leave: read the directory once per run
        for window in windows(days):
            usage = self._window_usage(window)
            directory = self._user_directory() if any(usage.values()) else {}
            for day in window:
                if day not in usage:
                    raise ReportNotReady(f"openai: no usage bucket for {day} yet")
                yield DayReport(
                    day,
                    [
                        record(user_id, counters, directory.get(user_id))
                        for user_id, counters in sorted(usage[day].items())
                    ],
                )

    def close(self) -> None:
        """Close the SDK's connection pool."""
        self._client.close()

    # -- usage -------------------------------------------------------------------------------

    def _window_usage(self, window: list[dt.date]) -> dict[dt.date, dict[str, Usage]]:
        """Every page of one window, as counters per day and user id (only the days returned)."""
        start, end = midnight(window[0]), midnight(window[-1] + dt.timedelta(days=1))
        wanted = set(window)
        usage: dict[dt.date, dict[str, Usage]] = {}
        unattributed = outside = 0
        cursor: str | None = None
        cursors: set[str] = set()
        for _ in page_numbers(
            self.source, f"{USAGE_PATH} for {window[0]}..{window[-1]}", self.max_pages
        ):
            page = self._call(USAGE_PATH, functools.partial(self._usage_page, start, end, cursor))
            for bucket in page.data:
                day = bucket_day(bucket.start_time, bucket.end_time)
                if day not in wanted:
                    # e.g. the partial bucket that ends "now", or one before the window.
                    outside += 1
                    continue
                users = usage.setdefault(day, {})
                for result in bucket.results:
                    if not isinstance(result, DataResultOrganizationUsageCompletionsResult):
                        raise MalformedReport(
                            f"openai: {USAGE_PATH} returned a {result.object} result"
                        )
                    requests = result.num_model_requests
                    counters = Usage(
                        requests,
                        result.input_tokens,
                        result.output_tokens,
                        requests if is_codex(result.model) else 0,
                    )
                    if min(counters.requests, counters.input_tokens, counters.output_tokens) < 0:
                        raise MalformedReport(f"openai: {USAGE_PATH} returned a negative count")
                    if not result.user_id:
                        unattributed += 1
                        continue
                    users[result.user_id] = users.get(result.user_id, Usage()) + counters
            if not page.has_more:
                break
            if not page.next_page or page.next_page in cursors:
                raise MalformedReport(
                    f"openai: {USAGE_PATH} says it has more pages but gives no new cursor"
                )
            cursor = page.next_page
            cursors.add(cursor)
        check_no_gaps(window, usage)
        logger.debug(
            "openai: %s..%s: %d results without a user skipped, %d buckets outside the days",
            window[0],
            window[-1],
            unattributed,
            outside,
        )
        return usage

    def _usage_page(self, start: int, end: int, cursor: str | None) -> UsageCompletionsResponse:
        return self._client.admin.organization.usage.completions(
            start_time=start,
            end_time=end,
            bucket_width="1d",
            # By model too, so that Codex models' requests can be told apart.
            group_by=["user_id", "model"],
            limit=MAX_WINDOW_DAYS,
            page=cursor if cursor is not None else openai.omit,
        )

    # -- users -------------------------------------------------------------------------------

    def _user_directory(self) -> dict[str, str | None]:
        """User id -> the email to link that user by (None for service accounts)."""
        if self._directory is not None:
            return self._directory
        users = self._client.admin.organization.users
        next_page: Callable[[], SyncConversationCursorPage[OrganizationUser]]
        next_page = functools.partial(users.list, limit=USERS_PAGE_SIZE)
        directory: dict[str, str | None] = {}
        cursors: set[str] = set()
        for _ in page_numbers(self.source, USERS_PATH, self.max_pages):
            page = self._call(USERS_PATH, next_page)
            for user in page.data:
                directory[user.id] = linkable_email(user)
            if page.has_more is None:
                raise MalformedReport(f"openai: {USERS_PATH} page has no has_more")
            if not page.has_more:
                break
            if not page.last_id or page.last_id in cursors:
                raise MalformedReport(
                    f"openai: {USERS_PATH} says it has more pages but gives no new last_id"
                )
            cursors.add(page.last_id)
            next_page = page.get_next_page
        self._directory = directory
        return directory

    # -- calls -------------------------------------------------------------------------------

    def _call(self, path: str, request: Callable[[], _T]) -> _T:
        """Make one SDK call, retrying transient failures within the retry budget.

        SDK errors become `CollectorError`s that never quote the API's message, which can
        echo part of the key.
        """
        spent = 0.0
        for attempt in range(1, MAX_ATTEMPTS + 1):
            self._budget.spend()
            try:
                return request()
            except BodyTooLarge as exc:  # read after the SDK's own error handling
                raise MalformedReport(f"openai: a page of {path} {exc}") from None
            except openai.APIStatusError as exc:
                status = exc.status_code
                if status in (401, 403):
                    raise CollectorError(
                        f"openai: the admin key was refused (HTTP {status}) on {path}"
                    ) from None
                if status not in RETRY_STATUS:
                    raise CollectorError(f"openai: HTTP {status} on {path}") from None
                problem = f"HTTP {status}"
                wait = max(backoff(attempt), retry_after(exc.response.headers) or 0.0)
            except openai.APITimeoutError:
                problem, wait = "timed out", backoff(attempt)
            except openai.APIConnectionError as exc:
                if isinstance(exc.__cause__, BodyTooLarge):
                    raise MalformedReport(f"openai: a page of {path} {exc.__cause__}") from None
                problem, wait = (
                    f"connection failed ({type(exc.__cause__).__name__})",
                    backoff(attempt),
                )
            except openai.APIResponseValidationError:
                raise MalformedReport(
                    f"openai: a page of {path} does not match the API's schema"
                ) from None
            except json.JSONDecodeError:  # the SDK lets this through for JSON-typed bodies
                raise MalformedReport(f"openai: a page of {path} is not valid JSON") from None
            except openai.OpenAIError as exc:
                raise CollectorError(f"openai: {type(exc).__name__} on {path}") from None
            if attempt == MAX_ATTEMPTS or spent + wait > self._retry_budget:
                raise CollectorError(
                    f"openai: {problem} on {path}, gave up after {attempt} attempts"
                )
            logger.warning(
                "openai: %s on %s; retrying in %.1fs (attempt %d)", problem, path, wait, attempt
            )
            self._sleep(wait)
            spent += wait
        raise AssertionError("unreachable")  # pragma: no cover
