"""OpenAI: Codex used through the API is read from completions usage grouped by model, and
today's and older published result shapes, with fields added or left out, all parse.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine

from bot.collectors.openai import OpenAICollector
from bot.sync import SyncOutcome, sync_source
from storage.models import DailyUsage
from tests.collectors.stored import stored_day
from tests.conftest import make_settings
from tests.fakes.openai_admin import (
    ADMIN_KEY,
    FakeOpenAIAdmin,
    completions_result,
    organization_user,
)
from tests.fakes.vendor_http import FakeVendorAPI

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "vendor-apis"
DAY = dt.date(2024, 11, 1)  # the published bucket: 1730419200..1730505600
NOW = dt.datetime(2024, 11, 2, 6, tzinfo=dt.UTC)


def sync(engine: Engine, api: FakeVendorAPI) -> SyncOutcome:
    settings = make_settings(openai_admin_key=ADMIN_KEY, openai_admin_base_url=api.url + "/v1")
    collector = OpenAICollector(settings, sleep=lambda _: None)
    try:
        return sync_source(engine, collector, now=NOW, since=DAY, until=DAY)
    finally:
        collector.close()


def stored(engine: Engine, user_id: str) -> DailyUsage:
    return stored_day(engine, "openai", user_id, DAY)


def published_page(**result_changes: Any) -> dict[str, Any]:
    """OpenAI's published completions page, its one result credited to `user_abc`."""
    page: dict[str, Any] = copy.deepcopy(
        json.loads((FIXTURES / "openai-usage-completions.json").read_text())
    )
    result = page["data"][0]["results"][0]
    result["user_id"] = "user_abc"
    for key, value in result_changes.items():
        if value is ...:
            del result[key]
        else:
            result[key] = value
    return page


def serve(fake: FakeOpenAIAdmin, page: dict[str, Any]) -> None:
    fake.pages = {
        None: page,
        page["next_page"]: {"object": "page", "data": [], "has_more": False, "next_page": None},
    }
    fake.users = [organization_user("user_abc", "abc@example.com")]


def test_codex_requests_are_the_persons_agent_requests(
    engine: Engine, api: FakeVendorAPI, fake: FakeOpenAIAdmin
) -> None:
    fake.usage[DAY] = [
        completions_result("user_dev", 10, 9000, 900, model="gpt-5-codex"),
        completions_result("user_dev", 5, 500, 50, model="gpt-4o-2024-08-06"),
        completions_result("user_dev", 2, 200, 20, model="codex-mini-latest"),
        completions_result("user_chat", 4, 400, 40, model="gpt-4o-2024-08-06"),
    ]
    fake.users = [
        organization_user("user_dev", "dev@example.com"),
        organization_user("user_chat", "chat@example.com"),
    ]

    outcome = sync(engine, api)

    assert outcome.error is None
    dev, chat = stored(engine, "user_dev"), stored(engine, "user_chat")
    assert (dev.interactions, dev.agent_requests, dev.features) == (17, 12, ["api", "codex"])
    assert (dev.input_tokens, dev.output_tokens) == (9700, 970)
    assert (chat.interactions, chat.agent_requests, chat.features) == (4, 0, ["api"])
    # Usage grouped by model is asked for, so that Codex can be told apart.
    assert fake.usage_calls()[0].query["group_by[]"] == ["user_id", "model"]


def test_todays_published_result_for_a_codex_model_parses(
    engine: Engine, api: FakeVendorAPI, fake: FakeOpenAIAdmin
) -> None:
    serve(fake, published_page(model="gpt-5-codex"))

    outcome = sync(engine, api)

    assert outcome.error is None
    usage = stored(engine, "user_abc")
    assert (usage.interactions, usage.agent_requests, usage.features) == (5, 5, ["api", "codex"])


def test_an_older_result_with_five_counters_parses(
    engine: Engine, api: FakeVendorAPI, fake: FakeOpenAIAdmin
) -> None:
    # The 2024-12 spec example had only input, cached input, output, audio and request counts.
    older = {
        key: ...
        for key in (
            "input_cache_write_tokens",
            "input_uncached_tokens",
            "input_text_tokens",
            "output_text_tokens",
            "input_cached_text_tokens",
            "input_cached_audio_tokens",
            "input_image_tokens",
            "input_cached_image_tokens",
            "output_image_tokens",
            "service_tier",
        )
    }
    serve(fake, published_page(**older))

    outcome = sync(engine, api)

    assert outcome.error is None
    usage = stored(engine, "user_abc")
    assert (usage.interactions, usage.input_tokens, usage.output_tokens) == (5, 1000, 500)


def test_fields_openai_adds_later_never_fail_a_day(
    engine: Engine, api: FakeVendorAPI, fake: FakeOpenAIAdmin
) -> None:
    serve(fake, published_page(api_source="agents_api", reasoning_tokens=120, surface={"x": 1}))

    outcome = sync(engine, api)

    assert outcome.error is None
    assert stored(engine, "user_abc").interactions == 5
