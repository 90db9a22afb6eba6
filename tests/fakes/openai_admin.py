"""A fake OpenAI Admin API: organization completions usage and users, over real HTTP.

Point the real SDK at it with ``base_url=fake.url + "/v1"``. Usage is generated from a per-day
dataset (``fake.usage[day] = [completions_result(...), ...]``) the way the API pages it:
daily buckets from ``start_time`` to ``end_time``, ``limit`` buckets a page, an opaque
``next_page`` cursor. ``pages`` serves published payloads verbatim instead.
"""

from __future__ import annotations

import base64
import datetime as dt
from typing import Any

from tests.fakes.vendor_http import FakeVendorAPI, Reply, VendorRequest

DAY_SECONDS = 86_400
ADMIN_KEY = "sk-admin-FAKE0123456789abcdefSECRET"

_TOKEN_BREAKDOWN = (
    "input_cached_tokens",
    "input_cache_write_tokens",
    "input_uncached_tokens",
    "input_text_tokens",
    "output_text_tokens",
    "input_cached_text_tokens",
    "input_audio_tokens",
    "input_cached_audio_tokens",
    "output_audio_tokens",
    "input_image_tokens",
    "input_cached_image_tokens",
    "output_image_tokens",
)


def completions_result(
    user_id: str | None,
    requests: int,
    input_tokens: int,
    output_tokens: int,
    *,
    model: str | None = None,
) -> dict[str, Any]:
    """A completions usage result shaped like the published one, grouped by user (and model)."""
    return {
        "object": "organization.usage.completions.result",
        "input_tokens": input_tokens,
        **dict.fromkeys(_TOKEN_BREAKDOWN, 0),
        "input_uncached_tokens": input_tokens,
        "input_text_tokens": input_tokens,
        "output_tokens": output_tokens,
        "output_text_tokens": output_tokens,
        "num_model_requests": requests,
        "project_id": None,
        "user_id": user_id,
        "api_key_id": None,
        "model": model,
        "batch": None,
        "service_tier": None,
    }


def organization_user(
    user_id: str, email: str | None, *, service_account: bool = False
) -> dict[str, Any]:
    """An organization user in the newer schema (with `is_service_account`)."""
    return {
        "object": "organization.user",
        "id": user_id,
        "name": user_id,
        "email": email,
        "role": "reader",
        "added_at": 1711471533,
        "is_service_account": service_account,
    }


def midnight(day: dt.date) -> int:
    """Unix seconds at the start of `day`, UTC."""
    return int(dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC).timestamp())


class FakeOpenAIAdmin:
    """Routes for `/v1/organization/usage/completions` and `/v1/organization/users`."""

    def __init__(self, api: FakeVendorAPI, *, admin_key: str = ADMIN_KEY) -> None:
        self.api = api
        self.admin_key = admin_key
        # Results for each day, grouped by user (ungrouped requests get them summed).
        self.usage: dict[dt.date, list[dict[str, Any]]] = {}
        self.users: list[dict[str, Any]] = []
        # Published payloads served verbatim: cursor (None for the first page) -> page.
        self.pages: dict[str | None, dict[str, Any]] | None = None
        self.user_pages: dict[str | None, dict[str, Any]] | None = None
        # The API may answer with fewer buckets than `limit` asks for.
        self.max_buckets_per_page = 31
        # Seconds after `start_time` the first bucket starts (the API's first bucket starts
        # wherever the query does, so a mid-day start gives a short first bucket).
        self.first_bucket_offset = 0
        # A partial bucket past `end_time` (like the one ending "now"), with this result in it.
        self.trailing_bucket: dict[str, Any] | None = None
        # Days the API has not produced a bucket for.
        self.missing_days: set[dt.date] = set()
        # Results to put into a day's bucket as they are (malformed ones, say).
        self.raw_results: dict[dt.date, Any] = {}
        # Replies that replace a page: (first day asked for, page number from 0) -> reply.
        self.broken_pages: dict[tuple[dt.date, int], Reply] = {}
        self.max_users_per_page = 100
        # Replies the usage endpoint gives before answering normally (429s with headers, say).
        self.queued_replies: list[Reply] = []
        api.route("GET", r"/v1/organization/usage/completions", self._usage)
        api.route("GET", r"/v1/organization/users", self._users)

    # -- inspection ----------------------------------------------------------------------------

    def usage_calls(self) -> list[VendorRequest]:
        """Requests made to the completions usage endpoint."""
        return self.api.calls("/v1/organization/usage/completions")

    def user_calls(self) -> list[VendorRequest]:
        """Requests made to the users endpoint."""
        return self.api.calls("/v1/organization/users")

    def rate_limit(self, *, retry_after_ms: int, times: int = 1) -> None:
        """Answer the next usage requests with 429 and OpenAI's `retry-after-ms` header."""
        body = {"error": {"message": "Rate limit reached.", "type": "requests", "code": None}}
        self.queued_replies.extend(
            Reply(body, status=429, headers={"retry-after-ms": str(retry_after_ms)})
            for _ in range(times)
        )

    # -- routes ----------------------------------------------------------------------------------

    def _refused(self, request: VendorRequest) -> Reply | None:
        if request.headers.get("authorization") == f"Bearer {self.admin_key}":
            return None
        presented = request.headers.get("authorization", "").removeprefix("Bearer ")
        # The real API quotes part of the key it refused.
        return Reply(
            {
                "error": {
                    "message": f"Incorrect API key provided: {presented[:8]}***{presented[-4:]}.",
                    "type": "invalid_request_error",
                    "param": None,
                    "code": "invalid_api_key",
                }
            },
            status=401,
        )

    @staticmethod
    def _bad_request(message: str) -> Reply:
        return Reply(
            {"error": {"message": message, "type": "invalid_request_error", "code": None}}, 400
        )

    def _usage(self, request: VendorRequest) -> Reply:
        refused = self._refused(request)
        if refused is not None:
            return refused
        if self.queued_replies:
            return self.queued_replies.pop(0)
        cursor = request.arg("page")
        if self.pages is not None:
            if cursor not in self.pages:
                return self._bad_request("Invalid page cursor.")
            return Reply(self.pages[cursor])
        start_arg, end_arg = request.arg("start_time"), request.arg("end_time")
        if start_arg is None or not start_arg.isdigit():
            return self._bad_request("start_time is required (Unix seconds).")
        if end_arg is not None and not end_arg.isdigit():
            return self._bad_request("end_time must be Unix seconds.")
        if request.arg("bucket_width", "1d") != "1d":
            return self._bad_request("This fake serves daily buckets only.")
        limit = int(request.arg("limit", "7") or "7")
        if not 1 <= limit <= 31:
            return self._bad_request("limit must be between 1 and 31 for 1d buckets.")
        start = int(start_arg)
        end = int(end_arg) if end_arg is not None else start + 7 * DAY_SECONDS
        grouped = "user_id" in request.query.get("group_by[]", [])

        buckets = self._buckets(start, end, grouped=grouped)
        first = int(base64.b64decode(cursor.removeprefix("page_"))) if cursor else 0
        size = min(limit, self.max_buckets_per_page)
        start_day = dt.datetime.fromtimestamp(start, tz=dt.UTC).date()
        broken = self.broken_pages.get((start_day, first // size))
        if broken is not None:
            return broken
        page = buckets[first : first + size]
        more = first + size < len(buckets)
        next_page = "page_" + base64.b64encode(str(first + size).encode()).decode()
        return Reply(
            {
                "object": "page",
                "data": page,
                "has_more": more,
                "next_page": next_page if more else None,
            }
        )

    def _buckets(self, start: int, end: int, *, grouped: bool) -> list[dict[str, Any]]:
        buckets: list[dict[str, Any]] = []
        bucket_start = start
        while bucket_start < end:
            bucket_end = min(bucket_start + DAY_SECONDS, end)
            day = dt.datetime.fromtimestamp(bucket_start, tz=dt.UTC).date()
            shown_start = bucket_start + self.first_bucket_offset if not buckets else bucket_start
            if day not in self.missing_days:
                buckets.append(
                    {
                        "object": "bucket",
                        "start_time": shown_start,
                        "end_time": bucket_end,
                        "results": self._results(day, grouped=grouped),
                    }
                )
            bucket_start = bucket_end
        if self.trailing_bucket is not None:
            buckets.append(
                {
                    "object": "bucket",
                    "start_time": end,
                    "end_time": end + 9 * 3600,
                    "results": [self.trailing_bucket],
                }
            )
        return buckets

    def _results(self, day: dt.date, *, grouped: bool) -> Any:
        if day in self.raw_results:
            return self.raw_results[day]
        results = self.usage.get(day, [])
        if grouped or not results:
            return results
        total = completions_result(
            None,
            sum(r["num_model_requests"] for r in results),
            sum(r["input_tokens"] for r in results),
            sum(r["output_tokens"] for r in results),
        )
        return [total]

    def _users(self, request: VendorRequest) -> Reply:
        refused = self._refused(request)
        if refused is not None:
            return refused
        after = request.arg("after")
        if self.user_pages is not None:
            if after not in self.user_pages:
                return self._bad_request("Invalid cursor.")
            return Reply(self.user_pages[after])
        limit = int(request.arg("limit", "20") or "20")
        if not 1 <= limit <= 100:
            return self._bad_request("limit must be between 1 and 100.")
        ids = [user["id"] for user in self.users]
        first = ids.index(after) + 1 if after in ids else 0
        size = min(limit, self.max_users_per_page)
        page = self.users[first : first + size]
        return Reply(
            {
                "object": "list",
                "data": page,
                "first_id": page[0]["id"] if page else None,
                "last_id": page[-1]["id"] if page else None,
                "has_more": first + size < len(self.users),
            }
        )
