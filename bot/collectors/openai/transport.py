"""The OpenAI SDK's HTTP transport with a cap on response bodies, and its retry timing."""

from __future__ import annotations

import email.utils
import math
import random
import time
from collections.abc import Iterator, Mapping

import httpx2

from bot.collectors.http import BodyTooLarge


class CappedTransport(httpx2.BaseTransport):
    """The SDK's transport, with response bodies that stop at `max_bytes`.

    Reading past the cap raises `BodyTooLarge`, which the SDK wraps as a connection error
    with it as the cause; `_call` turns that into a `MalformedReport`.
    """

    def __init__(self, max_bytes: int) -> None:
        self._max_bytes = max_bytes
        self._transport = httpx2.HTTPTransport()

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        response = self._transport.handle_request(request)
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > self._max_bytes:
            response.close()
            raise BodyTooLarge(self._refusal())
        stream = response.stream
        assert isinstance(stream, httpx2.SyncByteStream)
        response.stream = CappedStream(stream, self._max_bytes, self._refusal())
        return response

    def close(self) -> None:
        self._transport.close()

    def _refusal(self) -> str:
        return f"is over {self._max_bytes / 2**20:,.0f} MB; refused"


class CappedStream(httpx2.SyncByteStream):
    def __init__(self, stream: httpx2.SyncByteStream, max_bytes: int, refusal: str) -> None:
        self._stream = stream
        self._max_bytes = max_bytes
        self._refusal = refusal

    def __iter__(self) -> Iterator[bytes]:
        size = 0
        for chunk in self._stream:
            size += len(chunk)
            if size > self._max_bytes:
                raise BodyTooLarge(self._refusal)
            yield chunk

    def close(self) -> None:
        self._stream.close()


def retry_after(headers: Mapping[str, str]) -> float | None:
    """Seconds the API asks to wait: OpenAI's `retry-after-ms`, else `Retry-After`."""
    millis = headers.get("retry-after-ms")
    if millis is not None:
        try:
            seconds = float(millis) / 1000
        except ValueError:
            seconds = math.nan
        if math.isfinite(seconds) and seconds >= 0:
            return seconds
    value = (headers.get("retry-after") or "").strip()
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        return max(0.0, when.timestamp() - time.time())
    return seconds if math.isfinite(seconds) and seconds >= 0 else None


def backoff(attempt: int) -> float:
    return float(min(60.0, 2.0 ** (attempt - 1)) * (0.5 + random.random() / 2))  # noqa: S311
