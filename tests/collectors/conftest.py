"""Fixtures shared by the collector tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.fakes.openai_admin import FakeOpenAIAdmin
from tests.fakes.vendor_http import FakeVendorAPI


@pytest.fixture
def api() -> Iterator[FakeVendorAPI]:
    """A fake vendor HTTP server for the OpenAI Admin API's routes."""
    with FakeVendorAPI() as server:
        yield server


@pytest.fixture
def fake(api: FakeVendorAPI) -> FakeOpenAIAdmin:
    """The fake OpenAI Admin API (a test module may define its own `fake` for another vendor)."""
    return FakeOpenAIAdmin(api)
