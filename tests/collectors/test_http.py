"""VendorHTTP: retries within a budget, Retry-After, and credentials that stay home."""

from __future__ import annotations

import email.utils
import time
from collections.abc import Iterator

import httpx
import pytest

from bot.collectors.base import CollectorError, MalformedReport
from bot.collectors.http import VendorHTTP, retry_after_seconds
from tests.fakes.slack_api import RateLimited, ServerError
from tests.fakes.vendor_http import FakeVendorAPI, Reply, Status, Truncated


@pytest.fixture
def vendor() -> Iterator[FakeVendorAPI]:
    with FakeVendorAPI() as fake:
        fake.route("GET", "/data", lambda request: Reply({"ok": True}))
        yield fake


@pytest.fixture
def elsewhere() -> Iterator[FakeVendorAPI]:
    with FakeVendorAPI() as fake:
        fake.route("GET", "/file", lambda request: Reply({"file": True}))
        yield fake


def client(vendor: FakeVendorAPI, waits: list[float], budget: float = 60.0) -> VendorHTTP:
    return VendorHTTP(
        "test",
        vendor.url,
        headers={"Authorization": "Bearer s3cret", "x-api-key": "k3y"},
        timeout=2,
        retry_budget=budget,
        sleep=waits.append,
    )


def test_retries_429_for_at_least_retry_after_then_succeeds(vendor: FakeVendorAPI) -> None:
    waits: list[float] = []
    vendor.fail_next("/data", RateLimited(retry_after=7))
    vendor.fail_next("/data", ServerError(529))
    http = client(vendor, waits)
    try:
        assert http.get_json("/data") == {"ok": True}
    finally:
        http.close()
    assert waits[0] >= 7
    assert len(waits) == 2 and len(vendor.calls("/data")) == 3


def test_truncated_bodies_are_retried(vendor: FakeVendorAPI) -> None:
    waits: list[float] = []
    vendor.fail_next("/data", Truncated())
    http = client(vendor, waits)
    try:
        assert http.get_json("/data") == {"ok": True}
    finally:
        http.close()
    assert len(waits) == 1


def test_gives_up_when_the_budget_is_spent(vendor: FakeVendorAPI) -> None:
    waits: list[float] = []
    vendor.fail_next("/data", RateLimited(retry_after=30), times=5)
    http = client(vendor, waits, budget=45)
    try:
        with pytest.raises(CollectorError, match="gave up"):
            http.get_json("/data")
    finally:
        http.close()
    assert sum(waits) <= 45


def test_refused_credentials_fail_without_echoing_them(vendor: FakeVendorAPI) -> None:
    vendor.fail_next("/data", Status(401, {"message": "Bad credentials s3cret"}))
    http = client(vendor, [])
    try:
        with pytest.raises(CollectorError) as caught:
            http.get_json("/data")
    finally:
        http.close()
    assert "s3cret" not in str(caught.value) and "k3y" not in str(caught.value)


def test_non_json_is_a_malformed_report(vendor: FakeVendorAPI) -> None:
    vendor.route("GET", "/html", lambda request: Reply("<html>", content_type="text/html"))
    http = client(vendor, [])
    try:
        with pytest.raises(MalformedReport):
            http.get_json("/html")
    finally:
        http.close()


def test_credentials_never_leave_the_vendors_host(
    vendor: FakeVendorAPI, elsewhere: FakeVendorAPI
) -> None:
    vendor.route(
        "GET", "/moved", lambda request: Reply(None, 302, {"Location": f"{elsewhere.url}/file"})
    )
    http = client(vendor, [])
    try:
        assert http.get_json("/moved") == {"file": True}
        assert http.get_json(f"{elsewhere.url}/file") == {"file": True}
    finally:
        http.close()
    assert vendor.calls("/moved")[0].headers["authorization"] == "Bearer s3cret"
    for request in elsewhere.calls("/file"):
        assert "authorization" not in request.headers
        assert "x-api-key" not in request.headers


def test_retry_after_accepts_seconds_and_http_dates() -> None:
    now = time.time()
    date = email.utils.formatdate(now + 90, usegmt=True)
    assert retry_after_seconds(httpx.Response(429, headers={"Retry-After": "12"})) == 12
    assert (
        85
        <= (retry_after_seconds(httpx.Response(429, headers={"Retry-After": date}), now) or 0)
        <= 91
    )
    assert retry_after_seconds(httpx.Response(429, headers={"Retry-After": "soon"})) is None
