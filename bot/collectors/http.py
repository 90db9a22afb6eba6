"""HTTP for collectors: timeouts, retries that honour Retry-After, and caps on everything.

A vendor can misbehave without failing: a `next` page on every page, a body without end, a
sync that never finishes. Each has a cap, and hitting one is a `CollectorError` that says
which, so the sync records it and `uptake sources` shows it:

- `MAX_PAGES` pages per paged call (`page_numbers`);
- `MAX_BODY_BYTES` per response body, read streaming and refused past the cap;
- a `RequestBudget` per sync of a source: `MAX_REQUESTS_PER_SYNC` requests and
  `MAX_SYNC_SECONDS` of wall time.
"""

from __future__ import annotations

import email.utils
import logging
import random
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx

from bot.collectors.base import MAX_PAGES, CollectorError, MalformedReport

logger = logging.getLogger(__name__)

# 529 is Anthropic's documented, retryable "overloaded" status.
RETRYABLE_STATUS = frozenset({429, 500, 502, 503, 504, 529})
# Headers that carry credentials: never sent to any host but the vendor's own.
SECRET_HEADERS = ("authorization", "x-api-key", "proxy-authorization")
MAX_BODY_BYTES = 32 * 1024 * 1024
MAX_REQUESTS_PER_SYNC = 100_000
MAX_SYNC_SECONDS = 4 * 3600.0


def page_numbers(source: str, what: str, cap: int = MAX_PAGES) -> Iterator[int]:
    """Page numbers 1..`cap` for a paging loop; asking for one more raises `CollectorError`.

    Repeated cursors are caught where they are read; this catches a vendor that hands out a
    fresh `next` page forever.
    """
    yield from range(1, cap + 1)
    raise CollectorError(
        f"{source}: {what}: stopped after {cap:,} pages: the vendor kept returning a next page"
    )


class RequestBudget:
    """The requests and wall time one sync of one source may spend."""

    def __init__(
        self,
        source: str,
        *,
        max_requests: int = MAX_REQUESTS_PER_SYNC,
        max_seconds: float = MAX_SYNC_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.source = source
        self.requests = 0
        self._max_requests = max_requests
        self._max_seconds = max_seconds
        self._clock = clock
        self._started: float | None = None

    def spend(self) -> None:
        """Count one request about to be sent; raise `CollectorError` once over budget."""
        now = self._clock()
        if self._started is None:
            self._started = now
        if self.requests >= self._max_requests:
            raise CollectorError(
                f"{self.source}: stopped after {self.requests:,} requests: "
                "the sync's request budget is spent"
            )
        if now - self._started > self._max_seconds:
            raise CollectorError(
                f"{self.source}: stopped after {(now - self._started) / 60:,.0f} minutes: "
                "the sync's time budget is spent"
            )
        self.requests += 1


def retry_after_seconds(response: httpx.Response, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date)."""
    value = response.headers.get("Retry-After")
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


class BodyTooLarge(Exception):
    """A response body went past its cap (raised from inside a transport)."""


class VendorHTTP:
    """An httpx client for one vendor that retries 429, 5xx and dropped connections.

    Retries back off exponentially with jitter, wait at least what `Retry-After` asks, and stop
    once the next wait would exceed the retry budget; then a `CollectorError` says why.
    """

    def __init__(
        self,
        source: str,
        base_url: str,
        *,
        headers: dict[str, str] | None = None,
        auth: httpx.Auth | tuple[str, str] | None = None,
        timeout: float = 30.0,
        retry_budget: float = 300.0,
        max_attempts: int = 8,
        sleep: Callable[[float], None] = time.sleep,
        transport: httpx.BaseTransport | None = None,
        budget: RequestBudget | None = None,
        max_body_bytes: int = MAX_BODY_BYTES,
    ) -> None:
        self.source = source
        self.budget = budget or RequestBudget(source)
        self._max_body_bytes = max_body_bytes
        origin = httpx.URL(base_url)

        def keep_credentials_home(request: httpx.Request) -> None:
            # Redirects and absolute URLs (GitHub's signed download links) may point at
            # another host: credentials must not follow them there.
            if (request.url.scheme, request.url.host, request.url.port) != (
                origin.scheme,
                origin.host,
                origin.port,
            ):
                for name in SECRET_HEADERS:
                    request.headers.pop(name, None)

        self._client = httpx.Client(
            base_url=base_url,
            headers=headers,
            auth=auth,
            timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
            transport=transport,
            follow_redirects=True,
            event_hooks={"request": [keep_credentials_home]},
        )
        self._retry_budget = retry_budget
        self._max_attempts = max_attempts
        self._sleep = sleep

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        """Send a request, retrying transient failures; raise `CollectorError` on a final one.

        2xx and 204 come back to the caller; so do 404 and 403, which some vendors use for
        "no report" or an expired link and which the collector interprets.
        """
        spent = 0.0
        for attempt in range(1, self._max_attempts + 1):
            wait: float
            self.budget.spend()
            try:
                with self._client.stream(method, url, **kwargs) as response:
                    self._read_capped(response, url)
            except (httpx.TimeoutException, httpx.TransportError) as exc:
                problem = f"{type(exc).__name__} calling {_path(url)}"
                wait = _backoff(attempt)
            else:
                if response.status_code not in RETRYABLE_STATUS:
                    if response.status_code in (401, 407):
                        raise CollectorError(
                            f"{self.source}: credentials were refused ({response.status_code}) "
                            f"on {_path(url)}"
                        )
                    if response.status_code >= 400 and response.status_code not in (403, 404, 410):
                        raise CollectorError(
                            f"{self.source}: HTTP {response.status_code} on {_path(url)}"
                        )
                    return response
                problem = f"HTTP {response.status_code} on {_path(url)}"
                wait = max(_backoff(attempt), retry_after_seconds(response) or 0.0)
            if attempt == self._max_attempts or spent + wait > self._retry_budget:
                raise CollectorError(f"{self.source}: {problem}, gave up after {attempt} attempts")
            logger.warning(
                "%s: %s; retrying in %.1fs (attempt %d)", self.source, problem, wait, attempt
            )
            self._sleep(wait)
            spent += wait
        raise AssertionError("unreachable")  # pragma: no cover

    def _read_capped(self, response: httpx.Response, url: str) -> None:
        """Read the body into `response`, refusing it past `max_body_bytes` (decoded)."""
        cap = self._max_body_bytes
        too_big = MalformedReport(
            f"{self.source}: the body of {_path(url)} is over {cap / 2**20:,.0f} MB; refused"
        )
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > cap:
            raise too_big
        chunks: list[bytes] = []
        size = 0
        for chunk in response.iter_bytes():
            size += len(chunk)
            if size > cap:  # counted after decompression: a small gzip bomb is refused too
                raise too_big
            chunks.append(chunk)
        # What `Response.read()` does, with the cap: `.json()` and `.text` work from here.
        response._content = b"".join(chunks)

    def get_json(self, url: str, **kwargs: Any) -> Any:
        """GET and decode JSON, raising `MalformedReport` when the body is not JSON."""
        return decode_json(self.source, self.request("GET", url, **kwargs), url)

    def close(self) -> None:
        """Close the connection pool."""
        self._client.close()


def decode_json(source: str, response: httpx.Response, url: str) -> Any:
    """The response body as JSON, or `MalformedReport`."""
    try:
        return response.json()
    except ValueError as exc:
        raise MalformedReport(f"{source}: body of {_path(url)} is not valid JSON") from exc


def _backoff(attempt: int) -> float:
    return float(min(60.0, 2.0 ** (attempt - 1)) * (0.5 + random.random() / 2))  # noqa: S311


def _path(url: str) -> str:
    """The path of a URL without its query (signed download links carry credentials)."""
    return httpx.URL(url).path or url
