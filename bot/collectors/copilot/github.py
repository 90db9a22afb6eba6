"""GitHub's API conventions the Copilot collector follows: its 403 rate limits, and URLs."""

from __future__ import annotations

import time

import httpx

from bot.collectors.http import retry_after_seconds

# GitHub asks for at least a minute's pause after a secondary rate limit without Retry-After.
_SECONDARY_LIMIT_WAIT = 60.0


def rate_limit_wait(response: httpx.Response) -> float | None:
    """Seconds to wait when a 403 is GitHub's rate limit, else None (429 is VendorHTTP's)."""
    if response.status_code != 403:
        return None
    retry_after = retry_after_seconds(response)
    if retry_after is not None:
        return retry_after
    if response.headers.get("x-ratelimit-remaining") == "0":
        reset = response.headers.get("x-ratelimit-reset", "")
        if reset.isdigit():
            return max(1.0, float(reset) - time.time() + 1.0)
        return _SECONDARY_LIMIT_WAIT
    try:
        body = response.json()
    except ValueError:
        return None
    message = body.get("message") if isinstance(body, dict) else None
    if isinstance(message, str) and "rate limit" in message.lower():
        return _SECONDARY_LIMIT_WAIT
    return None


def origin(url: str) -> tuple[str, str, int | None]:
    """(scheme, host, port) of a URL: where a request would go."""
    parsed = httpx.URL(url)
    return parsed.scheme, parsed.host, parsed.port


def url_path(url: str) -> str:
    """The path of a URL, for messages (never its query, which may carry a signature)."""
    return httpx.URL(url).path or url
