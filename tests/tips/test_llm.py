"""Tip rewording through the real OpenAI SDK against a fake chat completions server over HTTP."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
from collections.abc import Iterator

import httpx2
import pytest

from bot.adoption import TierThresholds, summarize_rows
from bot.tips.llm import (
    LibraryText,
    OpenAITipWriter,
    TipAggregates,
    tip_writer,
)
from bot.tools import tool_label
from storage.usage import UsageRow
from tests.fakes.openai_chat import API_KEY, FakeOpenAIChat
from tests.fakes.slack_api import Hang, Malformed, RateLimited, ServerError, Slow
from tests.fakes.vendor_http import FakeVendorAPI, Status, Truncated, VendorFault

MODEL = "gpt-4.1-mini"
TIMEOUT = 0.3
TIP = "Ask *Copilot Chat* to explain a failing test before you debug it by hand."
LINK = "https://docs.github.com/en/copilot/using-github-copilot/asking-github-copilot-questions"
REWORDED = "You used Copilot on 3 days lately: next time a test fails, ask *Copilot Chat* why."
AGGREGATES = TipAggregates(
    tier="light",
    active_days_28=3,
    tools_used=("GitHub Copilot",),
    acceptance_rate=0.27,
    features_used=("code_completion",),
)


@pytest.fixture
def api() -> Iterator[FakeVendorAPI]:
    with FakeVendorAPI() as server:
        yield server


@pytest.fixture
def fake(api: FakeVendorAPI) -> FakeOpenAIChat:
    chat = FakeOpenAIChat(api)
    chat.content = REWORDED
    return chat


@pytest.fixture
def writer(fake: FakeOpenAIChat) -> Iterator[OpenAITipWriter]:
    with OpenAITipWriter(API_KEY, fake.base_url, MODEL, timeout=TIMEOUT) as tips:
        yield tips


def sent_body(fake: FakeOpenAIChat) -> str:
    """The one request's body, as the JSON text that went over the wire."""
    (request,) = fake.calls()
    return request.raw_body.decode()


# -- personalised text ---------------------------------------------------------------------------


def test_a_valid_answer_is_used(writer: OpenAITipWriter, fake: FakeOpenAIChat) -> None:
    fake.content = f"  {REWORDED}\n"

    assert writer.reword(TIP, LINK, AGGREGATES) == REWORDED


def test_the_request_carries_the_tip_and_the_figures_as_plain_words(
    writer: OpenAITipWriter, fake: FakeOpenAIChat
) -> None:
    writer.reword(TIP, LINK, AGGREGATES)

    (request,) = fake.calls()
    body = request.body
    assert request.method == "POST"
    assert request.headers["authorization"] == f"Bearer {API_KEY}"
    assert body["model"] == MODEL
    assert body["max_tokens"] > 0
    assert 0 <= body["temperature"] <= 1
    system, user = body["messages"]
    assert system["role"] == "system"
    for rule in ("meaning", "mrkdwn", "friendly", "shame", "500 characters", "links"):
        assert rule in system["content"]
    assert user["role"] == "user"
    assert TIP in user["content"]
    for figure in ("light", "3 active days", "GitHub Copilot", "27%", "code completion"):
        assert figure in user["content"]
    # The link is ours to render beside the text: the model never sees it.
    assert LINK not in request.raw_body.decode()
    assert "docs.github.com" not in request.raw_body.decode()


def test_missing_figures_read_as_words() -> None:
    nothing_yet = TipAggregates(tier="inactive", active_days_28=0)

    described = nothing_yet.describe()

    assert "tools used: none" in described
    assert "acceptance rate: not reported" in described
    assert "features used: none reported" in described


def test_a_used_answer_logs_nothing(
    writer: OpenAITipWriter, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG, logger="bot.tips.llm"):
        writer.reword(TIP, LINK, AGGREGATES)

    assert [r for r in caplog.records if r.name == "bot.tips.llm"] == []


def test_an_answer_just_under_the_limit_is_used(
    writer: OpenAITipWriter, fake: FakeOpenAIChat
) -> None:
    fake.content = "a" * 599

    assert writer.reword(TIP, LINK, AGGREGATES) == "a" * 599


# -- falling back to the library text -----------------------------------------------------------


@pytest.mark.parametrize(
    "fault",
    [
        pytest.param(Hang(), id="hang"),
        pytest.param(Slow(TIMEOUT + 0.4), id="slow"),
        pytest.param(ServerError(500), id="500"),
        pytest.param(ServerError(503), id="503"),
        pytest.param(RateLimited(retry_after=0), id="429"),
        pytest.param(Status(401, {"error": {"message": "Incorrect API key provided."}}), id="401"),
        pytest.param(Malformed(), id="malformed-json"),
        pytest.param(Status(200, None), id="empty-body"),
        pytest.param(Status(200, "null"), id="json-null"),
        pytest.param(Status(200, {"object": "chat.completion"}), id="no-choices"),
        pytest.param(Status(200, {"choices": []}), id="empty-choices"),
        pytest.param(Status(200, {"choices": [{"message": 5}]}), id="message-not-an-object"),
        pytest.param(Truncated(), id="truncated"),
    ],
)
def test_an_api_failure_falls_back_to_the_library_text(
    writer: OpenAITipWriter,
    fake: FakeOpenAIChat,
    api: FakeVendorAPI,
    fault: VendorFault,
    caplog: pytest.LogCaptureFixture,
) -> None:
    api.fail_next("/v1/chat/completions", fault)

    with caplog.at_level(logging.WARNING, logger="bot.tips.llm"):
        assert writer.reword(TIP, LINK, AGGREGATES) == TIP

    assert len(fake.calls()) == 1  # no retries: a tip goes out on time with the library text
    assert_logged_without_content(caplog)


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(None, id="no-content"),
        pytest.param("", id="empty"),
        pytest.param(" \n\t ", id="blank"),
        pytest.param(["not", "text"], id="not-a-string"),
        pytest.param("a" * 600, id="600-characters"),
        pytest.param("Try Copilot Chat. " * 60, id="far-too-long"),
        pytest.param(f"Ask Copilot Chat, see {LINK}", id="the-tips-own-link"),
        pytest.param("Try it: https://example.com/copilot", id="https"),
        pytest.param("Try it: http://127.0.0.1:8080/x", id="http"),
        pytest.param("Try <https://example.com|Copilot Chat> today", id="slack-link"),
        pytest.param("Try [Copilot Chat](https://example.com) today", id="markdown-link"),
        pytest.param("Read www.example.com first", id="www"),
        pytest.param("See docs.github.com/copilot for more", id="bare-domain"),
        pytest.param("Mail <mailto:help@example.com|help>", id="mailto"),
        pytest.param("<!here> try Copilot Chat", id="slack-broadcast"),
        pytest.param("Ask <@U0123ABCD> about Copilot Chat", id="slack-mention"),
        pytest.param("@channel try Copilot Chat", id="plain-broadcast"),
    ],
)
def test_an_unusable_answer_falls_back_to_the_library_text(
    writer: OpenAITipWriter,
    fake: FakeOpenAIChat,
    content: object,
    caplog: pytest.LogCaptureFixture,
) -> None:
    fake.content = content  # type: ignore[assignment]  # what a misbehaving endpoint sends

    with caplog.at_level(logging.WARNING, logger="bot.tips.llm"):
        assert writer.reword(TIP, LINK, AGGREGATES) == TIP

    assert_logged_without_content(caplog, str(content))


def test_an_answer_cut_off_at_the_token_limit_falls_back(
    writer: OpenAITipWriter, fake: FakeOpenAIChat, caplog: pytest.LogCaptureFixture
) -> None:
    fake.content, fake.finish_reason = "Ask Copilot Chat to explain a failing", "length"

    with caplog.at_level(logging.WARNING, logger="bot.tips.llm"):
        assert writer.reword(TIP, LINK, AGGREGATES) == TIP

    assert_logged_without_content(caplog, fake.content)


def assert_logged_without_content(caplog: pytest.LogCaptureFixture, *content: str) -> None:
    """One warning says why, quoting neither the tip nor what the model said."""
    (record,) = [r for r in caplog.records if r.name == "bot.tips.llm"]
    assert record.levelno == logging.WARNING
    message = record.getMessage()
    assert "fell back" in message
    for text in (TIP, "Copilot Chat", LINK, API_KEY, *content):
        if text.strip():
            assert text not in message


# -- privacy -------------------------------------------------------------------------------------

PERSON = {
    "display_name": "Ada Lovelace",
    "real_name": "Augusta Ada King",
    "email": "ada.lovelace@example.com",
    "slack_user_id": "U07ADA1234",
    "slack_team_id": "T0EXAMPLE1",
    "team": "Analytical Engines",
    "github_login": "ada-l",
    "openai_user_id": "user-AdaXyZ123",
    "cursor_email": "ada@engines.example",
    "person_id": "4242424",
}


def aggregates_for_person() -> TipAggregates:
    """Aggregates built the way the tips service builds them, from a person's usage rows."""
    today = dt.date(2026, 3, 2)
    rows = [
        UsageRow(
            day=today - dt.timedelta(days=offset),
            tool=tool,
            source=tool,
            active=True,
            interactions=4,
            generations=10,
            acceptances=3,
            lines_accepted=12,
            cost_cents=None,
            cost_kind=None,
            features=features,
        )
        for offset, tool, features in [
            (0, "copilot", ("code_completion", "chat_panel_ask_mode")),
            (3, "copilot", ("code_completion",)),
            (9, "cursor", ("tab",)),
        ]
    ]
    tools, _, tier, tier_days, _, _ = summarize_rows(
        rows, window_days=28, today=today, thresholds=TierThresholds()
    )
    shown = sum(t.generations for t in tools)
    return TipAggregates(
        tier=tier.value,
        active_days_28=tier_days,
        tools_used=tuple(sorted(tool_label(t.tool) for t in tools if t.active_days)),
        acceptance_rate=sum(t.acceptances for t in tools) / shown,
        features_used=tuple(sorted({f for t in tools for f in t.features})),
    )


def test_the_model_sees_no_name_email_id_or_team(
    writer: OpenAITipWriter, fake: FakeOpenAIChat
) -> None:
    aggregates = aggregates_for_person()

    writer.reword(TIP, LINK, aggregates)

    (request,) = fake.calls()
    wire = (request.raw_body.decode() + json.dumps(request.headers)).lower()
    forbidden = {*PERSON.values(), "ada", "lovelace", "engines"}
    assert not [value for value in forbidden if value.lower() in wire]
    user = request.body["messages"][1]["content"]
    for figure in ("light", "3 active days", "GitHub Copilot", "Cursor", "30%", "tab"):
        assert figure in user


def test_aggregates_have_no_field_for_a_person() -> None:
    fields = {field.name for field in dataclasses.fields(TipAggregates)}

    assert fields == {
        "tier",
        "active_days_28",
        "tools_used",
        "acceptance_rate",
        "features_used",
    }


@pytest.mark.parametrize(
    "word",
    [
        PERSON["email"],
        PERSON["slack_user_id"],
        PERSON["slack_team_id"],
        PERSON["person_id"],
        "https://example.com",
        "example.com",
        "<@U07ADA1234>",
        "",
    ],
)
@pytest.mark.parametrize("field", ["tools_used", "features_used"])
def test_aggregates_refuse_words_shaped_like_identifiers(word: str, field: str) -> None:
    with pytest.raises(ValueError) as refused:
        TipAggregates(tier="light", active_days_28=3, **{field: ("GitHub Copilot", word)})  # type: ignore[arg-type]

    assert word not in str(refused.value) or not word


def test_aggregates_take_tool_labels_and_vendor_feature_names() -> None:
    aggregates = TipAggregates(
        tier="power",
        active_days_28=20,
        tools_used=("Claude Code", "GitHub Copilot", "Inhouse Gateway"),
        features_used=("chat_panel_agent_mode", "edit_tool", "CODEOWNERS", "gpt-4", "c++"),
    )

    assert "chat panel agent mode" in aggregates.describe()


@pytest.mark.parametrize(
    "overrides",
    [
        {"tier": "Ada Lovelace"},
        {"active_days_28": 29},
        {"active_days_28": -1},
        {"acceptance_rate": 1.5},
        {"acceptance_rate": float("nan")},
    ],
)
def test_aggregates_refuse_figures_out_of_range(overrides: dict[str, object]) -> None:
    values: dict[str, object] = {"tier": "light", "active_days_28": 3, **overrides}

    with pytest.raises(ValueError):
        TipAggregates(**values)  # type: ignore[arg-type]


def test_openai_environment_variables_do_not_reach_the_endpoint(
    fake: FakeOpenAIChat, api: FakeVendorAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_ORG_ID", "org-LEAKED")
    monkeypatch.setenv("OPENAI_PROJECT_ID", "proj_LEAKED")
    monkeypatch.setenv("OPENAI_ADMIN_KEY", "sk-admin-LEAKED")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-proj-LEAKED")
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/leaked")
    monkeypatch.setenv("OPENAI_CUSTOM_HEADERS", "X-Leaked: yes\nAuthorization: Bearer sk-LEAKED")

    with OpenAITipWriter(API_KEY, fake.base_url, MODEL, timeout=TIMEOUT) as writer:
        assert writer.reword(TIP, LINK, AGGREGATES) == REWORDED

    (request,) = fake.calls()
    assert request.headers["authorization"] == f"Bearer {API_KEY}"
    assert "openai-organization" not in request.headers
    assert "openai-project" not in request.headers
    assert "x-leaked" not in request.headers
    assert "leaked" not in json.dumps(request.headers).lower()
    assert "leaked" not in request.raw_body.decode().lower()


# -- choosing a writer ---------------------------------------------------------------------------


@pytest.mark.parametrize("key", [None, ""])
def test_without_a_key_the_library_text_is_used_and_nothing_is_called(
    fake: FakeOpenAIChat, key: str | None
) -> None:
    writer = tip_writer(key, fake.base_url, MODEL, TIMEOUT)

    assert isinstance(writer, LibraryText)
    assert writer.reword(TIP, LINK, AGGREGATES) == TIP
    assert fake.calls() == []


def test_with_a_key_the_tip_is_reworded(fake: FakeOpenAIChat) -> None:
    writer = tip_writer(API_KEY, fake.base_url, MODEL, TIMEOUT)
    assert isinstance(writer, OpenAITipWriter)

    with writer:
        assert writer.reword(TIP, LINK, AGGREGATES) == REWORDED

    assert len(fake.calls()) == 1


def test_a_given_http_client_carries_the_requests(fake: FakeOpenAIChat) -> None:
    http_client = httpx2.Client(headers={"X-Uptake-Gateway": "tips"})

    with OpenAITipWriter(API_KEY, fake.base_url, MODEL, TIMEOUT, http_client=http_client) as w:
        assert w.reword(TIP, LINK, AGGREGATES) == REWORDED

    (request,) = fake.calls()
    assert request.headers["x-uptake-gateway"] == "tips"
    assert http_client.is_closed
