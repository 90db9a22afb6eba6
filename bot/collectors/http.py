"""HTTP for collectors: timeouts, and retries that honour Retry-After within a time budget."""

from __future__ import annotations

import email.utils
import logging
import random
import time
from collections.abc import Callable
from typing import Any

import httpx

from bot.collectors.base import CollectorError, MalformedReport

logger = logging.getLogger(__name__)

# 529 is Anthropic's documented, retryable "overloaded" status.
RETRYABLE_STATUS = frozenset({429, 500, 502, 503, 504, 529})
# Headers that carry credentials: never sent to any host but the vendor's own.
SECRET_HEADERS = ("authorization", "x-api-key", "proxy-authorization")


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
    ) -> None:
        self.source = source
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
            try:
                response = self._client.request(method, url, **kwargs)
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
