"""Digest narratives through the real OpenAI SDK against a fake chat completions server."""

from __future__ import annotations

import dataclasses
import json
import logging
from collections.abc import Iterator
from statistics import median

import httpx2
import pytest

from bot.adoption import TierThresholds
from bot.digests.narrative import (
    DigestFacts,
    NarrativeWriter,
    OpenAINarrative,
    TemplateNarrative,
    narrative_writer,
    template_narrative,
)
from bot.tools import tool_label
from tests.fakes.openai_chat import API_KEY, COMPLETIONS, FakeOpenAIChat
from tests.fakes.slack_api import Hang, Malformed, RateLimited, ServerError, Slow
from tests.fakes.vendor_http import FakeVendorAPI, Status, Truncated, VendorFault

MODEL = "gpt-4.1-mini"
TIMEOUT = 0.3
NARRATED = (
    "Most of the team tried an AI coding tool this week, *71%*, up 8 points. "
    "GitHub Copilot leads the way, and sharing tips could help the rest get started."
)
FACTS = DigestFacts(
    team_size=14,
    active_share=0.71,
    active_share_change_points=8,
    tier_counts={"power": 2, "regular": 5, "light": None, "inactive": 3},
    tool_adoption={"GitHub Copilot": 9, "Cursor": None, "Claude Code": 5},
    acceptance_rate=0.27,
    unused_seats=4,
    suggested_action="Share the `/aitips` command in the team channel",
)
ALL_HIDDEN = DigestFacts(
    team_size=3,
    tier_counts=dict.fromkeys(("inactive", "light", "regular", "power")),
    tool_adoption={"GitHub Copilot": None, "Cursor": None},
)
TEMPLATE = template_narrative(FACTS)


@pytest.fixture
def api() -> Iterator[FakeVendorAPI]:
    with FakeVendorAPI() as server:
        yield server


@pytest.fixture
def fake(api: FakeVendorAPI) -> FakeOpenAIChat:
    chat = FakeOpenAIChat(api)
    chat.content = NARRATED
    return chat


@pytest.fixture
def writer(fake: FakeOpenAIChat) -> Iterator[OpenAINarrative]:
    with OpenAINarrative(API_KEY, fake.base_url, MODEL, timeout=TIMEOUT) as narrative:
        yield narrative


# -- the model's narrative ------------------------------------------------------------------------


def test_a_valid_answer_is_used(writer: OpenAINarrative, fake: FakeOpenAIChat) -> None:
    fake.content = f"\n  {NARRATED}  \n"

    assert writer.narrate(FACTS) == NARRATED
    assert len(fake.calls()) == 1


def test_the_request_carries_the_rules_and_the_figures_as_plain_words(
    writer: OpenAINarrative, fake: FakeOpenAIChat
) -> None:
    writer.narrate(FACTS)

    (request,) = fake.calls()
    body = request.body
    assert request.method == "POST"
    assert request.headers["authorization"] == f"Bearer {API_KEY}"
    assert body["model"] == MODEL
    assert body["max_tokens"] > 0
    assert 0 <= body["temperature"] <= 1
    system, user = body["messages"]
    assert system["role"] == "system"
    for rule in (
        "two or three sentences",
        "neutral and encouraging",
        "Never rank",
        "names",
        "links",
        "500 characters",
        "hidden",
        "mrkdwn",
    ):
        assert rule in system["content"]
    assert user["role"] == "user"
    for figure in (
        "people in the team: 14",
        "71% (up 8 percentage points since last week)",
        "power 2, regular 5, light hidden for privacy, inactive 3",
        "GitHub Copilot 9, Cursor hidden for privacy, Claude Code 5",
        "mean suggestion acceptance rate (approximate): 27%",
        "paid seats unused this week: 4",
        "Share the `/aitips` command in the team channel",
    ):
        assert figure in user["content"]


def test_a_used_answer_logs_nothing(
    writer: OpenAINarrative, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG, logger="bot.digests.narrative"):
        writer.narrate(FACTS)

    assert [r for r in caplog.records if r.name == "bot.digests.narrative"] == []


def test_an_answer_just_under_the_limit_is_used(
    writer: OpenAINarrative, fake: FakeOpenAIChat
) -> None:
    fake.content = "a" * 599

    assert writer.narrate(FACTS) == "a" * 599


# -- falling back to the template ----------------------------------------------------------------


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
def test_an_api_failure_falls_back_to_the_template(
    writer: OpenAINarrative,
    fake: FakeOpenAIChat,
    api: FakeVendorAPI,
    fault: VendorFault,
    caplog: pytest.LogCaptureFixture,
) -> None:
    api.fail_next(COMPLETIONS, fault)

    with caplog.at_level(logging.WARNING, logger="bot.digests.narrative"):
        assert writer.narrate(FACTS) == TEMPLATE

    assert len(fake.calls()) == 1  # no retries: the digest goes out on time with the template
    assert_logged_without_content(caplog)


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(None, id="no-content"),
        pytest.param("", id="empty"),
        pytest.param(" \n\t ", id="blank"),
        pytest.param(["not", "text"], id="not-a-string"),
        pytest.param("a" * 600, id="600-characters"),
        pytest.param("The team kept going this week. " * 40, id="far-too-long"),
        pytest.param("Nice week! Details: https://example.com/digest", id="https"),
        pytest.param("Nice week! See http://127.0.0.1:8080/x", id="http"),
        pytest.param("Nice week! <https://example.com|See the chart>", id="slack-link"),
        pytest.param("Nice week! [See the chart](https://example.com)", id="markdown-link"),
        pytest.param("Nice week! Read www.example.com", id="www"),
        pytest.param("Nice week! See docs.github.com/copilot", id="bare-domain"),
        pytest.param("Nice week! Ask <mailto:help@example.com|help>", id="mailto"),
        pytest.param("<!here> the team had a nice week", id="slack-broadcast"),
        pytest.param("Thanks to <@U0123ABCD> for a nice week", id="slack-mention"),
        pytest.param("@channel the team had a nice week", id="plain-broadcast"),
        pytest.param("Thanks @ada for a nice week", id="plain-mention"),
        pytest.param("Ask ada.lovelace@corp.internal for a demo", id="email"),
        pytest.param("User U07ADA1234 led the way", id="slack-id"),
    ],
)
def test_an_unusable_answer_falls_back_to_the_template(
    writer: OpenAINarrative,
    fake: FakeOpenAIChat,
    content: object,
    caplog: pytest.LogCaptureFixture,
) -> None:
    fake.content = content  # type: ignore[assignment]  # what a misbehaving endpoint sends

    with caplog.at_level(logging.WARNING, logger="bot.digests.narrative"):
        assert writer.narrate(FACTS) == TEMPLATE

    assert_logged_without_content(caplog, str(content))


def test_an_answer_cut_off_at_the_token_limit_falls_back(
    writer: OpenAINarrative, fake: FakeOpenAIChat, caplog: pytest.LogCaptureFixture
) -> None:
    fake.content, fake.finish_reason = "Most of the team tried an AI coding", "length"

    with caplog.at_level(logging.WARNING, logger="bot.digests.narrative"):
        assert writer.narrate(FACTS) == TEMPLATE

    assert_logged_without_content(caplog, fake.content)


def test_an_all_hidden_week_falls_back_to_the_hidden_template(
    writer: OpenAINarrative, api: FakeVendorAPI
) -> None:
    api.fail_next(COMPLETIONS, ServerError(500))

    assert writer.narrate(ALL_HIDDEN) == "Activity figures are hidden for privacy this week."


def assert_logged_without_content(caplog: pytest.LogCaptureFixture, *content: str) -> None:
    """One warning says why, quoting neither the facts nor what the model said."""
    (record,) = [r for r in caplog.records if r.name == "bot.digests.narrative"]
    assert record.levelno == logging.WARNING
    message = record.getMessage()
    assert "fell back" in message
    for text in (NARRATED, "GitHub Copilot", "71%", "aitips", API_KEY, *content):
        if text.strip():
            assert text not in message


# -- the template ---------------------------------------------------------------------------------


def test_the_template_states_the_visible_figures() -> None:
    assert TEMPLATE == (
        "About *71%* of the team's 14 people used an AI coding tool this week, "
        "up 8 percentage points on last week; tools in use: GitHub Copilot (~9 people), "
        "Claude Code (~5 people). The mean suggestion acceptance rate was about 27% and 4 paid "
        "seats went unused — suggested next step: Share the `/aitips` command in the team "
        "channel."
    )


def test_the_template_handles_all_hidden_facts() -> None:
    assert template_narrative(ALL_HIDDEN) == "Activity figures are hidden for privacy this week."
    assert template_narrative(DigestFacts(team_size=0)) == (
        "Activity figures are hidden for privacy this week."
    )


def test_the_template_shows_what_is_visible_when_activity_is_hidden() -> None:
    facts = DigestFacts(
        team_size=9,
        tool_adoption={"GitHub Copilot": 6, "Cursor": None},
        acceptance_rate=0.3,
        suggested_action="Try a pairing session with Copilot Chat.",
    )

    assert template_narrative(facts) == (
        "Activity figures are hidden for privacy this week; tools in use: GitHub Copilot "
        "(~6 people). The mean suggestion acceptance rate was about 30% — suggested next step: "
        "Try a pairing session with Copilot Chat."
    )


@pytest.mark.parametrize(
    ("change", "words"),
    [(0, "unchanged on last week"), (-1, "down 1 percentage point"), (12, "up 12 percentage")],
)
def test_the_template_words_the_change(change: int, words: str) -> None:
    facts = DigestFacts(team_size=1, active_share=1.0, active_share_change_points=change)

    text = template_narrative(facts)

    assert text.startswith("About *100%* of the team's 1 person used an AI coding tool")
    assert words in text
    assert text.count(".") == 1


def test_the_template_is_at_most_two_sentences_and_calls_nothing(fake: FakeOpenAIChat) -> None:
    writer = TemplateNarrative()

    text = writer.narrate(FACTS)

    assert text == TEMPLATE
    assert text.count(". ") <= 1
    assert fake.calls() == []


def test_an_action_ending_in_a_question_keeps_its_mark() -> None:
    facts = DigestFacts(team_size=6, suggested_action="Why not demo Claude Code on Friday?")

    assert template_narrative(facts).endswith(
        "Suggested next step: Why not demo Claude Code on Friday?"
    )


# -- privacy -------------------------------------------------------------------------------------

TEAM = {
    "name": "Analytical Engines",
    "slug": "eng-analytical-engines",
    "slack_channel": "C07ENG0001",
}


@dataclasses.dataclass(frozen=True)
class Person:
    """Who is around the test: everything here but the figures must stay off the wire."""

    display_name: str
    email: str
    slack_user_id: str
    github_login: str
    openai_user_id: str
    person_id: str
    active_days: int
    tools: tuple[str, ...]
    acceptance_rate: float | None

    def identifiers(self) -> tuple[str, ...]:
        return (
            self.display_name,
            *self.display_name.split(),
            self.email,
            self.slack_user_id,
            self.github_login,
            self.openai_user_id,
            self.person_id,
        )


PEOPLE = [
    Person(
        display_name=name,
        email=f"{name.lower().replace(' ', '.')}@example.com",
        slack_user_id=f"U07{name[:3].upper()}{index:04d}",
        github_login=f"{name.split()[0].lower()}-gh",
        openai_user_id=f"user-{name.split()[0]}XyZ{index}",
        person_id=str(4_242_400 + index),
        active_days=active_days,
        tools=tools,
        acceptance_rate=rate,
    )
    for index, (name, active_days, tools, rate) in enumerate(
        [
            ("Ada Lovelace", 18, ("copilot", "claude_code"), 0.31),
            ("Charles Babbage", 7, ("copilot",), 0.22),
            ("Grace Hopper", 3, ("cursor",), None),
            ("Alan Turing", 0, (), None),
            ("Katherine Johnson", 9, ("copilot",), 0.27),
            ("Edsger Dijkstra", 1, ("copilot", "cursor"), 0.18),
        ]
    )
]


def facts_for_team(k: int = 5) -> DigestFacts:
    """Facts built the way a digest builds them: aggregates of the people, groups under k hidden."""
    thresholds = TierThresholds()
    tiers: dict[str, int] = {}
    tools: dict[str, int] = {}
    for person in PEOPLE:
        tier = thresholds.tier_for(person.active_days).value
        tiers[tier] = tiers.get(tier, 0) + 1
        for tool in person.tools:
            tools[tool_label(tool)] = tools.get(tool_label(tool), 0) + 1
    rates = [p.acceptance_rate for p in PEOPLE if p.acceptance_rate is not None]
    active = sum(1 for p in PEOPLE if p.tools)
    return DigestFacts(
        team_size=len(PEOPLE),
        active_share=active / len(PEOPLE),
        active_share_change_points=17,
        tier_counts={tier: n if n >= k else None for tier, n in tiers.items()},
        tool_adoption={label: n if n >= k else None for label, n in tools.items()},
        acceptance_rate=median(rates) if len(rates) >= k else None,
        unused_seats=2,
        suggested_action="Share the `/aitips` command in the team channel",
    )


def test_the_model_sees_no_team_name_person_email_or_id(
    writer: OpenAINarrative, fake: FakeOpenAIChat
) -> None:
    facts = facts_for_team()

    assert writer.narrate(facts) == NARRATED

    (request,) = fake.calls()
    wire = (request.raw_body.decode() + json.dumps(request.headers)).lower()
    forbidden = {
        *TEAM.values(),
        *(value for person in PEOPLE for value in person.identifiers()),
        "engines",
        "example.com",
    }
    assert not [value for value in forbidden if value.lower() in wire]
    user = request.body["messages"][1]["content"]
    for figure in (
        "people in the team: 6",
        "83% (up 17 percentage points since last week)",
        "GitHub Copilot hidden for privacy",  # 4 people: under k
        "mean suggestion acceptance rate (approximate): not available",
        "paid seats unused this week: 2",
    ):
        assert figure in user


def test_facts_have_no_field_for_a_team_or_person() -> None:
    fields = {field.name for field in dataclasses.fields(DigestFacts)}

    assert fields == {
        "team_size",
        "active_share",
        "active_share_change_points",
        "tier_counts",
        "tool_adoption",
        "acceptance_rate",
        "unused_seats",
        "suggested_action",
    }


@pytest.mark.parametrize(
    "word",
    [
        PEOPLE[0].email,
        PEOPLE[0].slack_user_id,
        PEOPLE[0].person_id,
        TEAM["slack_channel"],
        "https://example.com",
        "example.com",
        "<@U07ADA1234>",
        "",
    ],
)
def test_facts_refuse_tool_words_shaped_like_identifiers(word: str) -> None:
    with pytest.raises(ValueError) as refused:
        DigestFacts(team_size=6, tool_adoption={"GitHub Copilot": 5, word: 5})

    assert word not in str(refused.value) or not word


@pytest.mark.parametrize(
    "action",
    [
        "Ask ada.lovelace@example.com for a demo",
        "Ask <@U07ADA1234> for a demo",
        "Ask U07ADA1234 for a demo",
        "Read https://example.com/tips",
        "Read docs.github.com/copilot",
        "Ping @here about tips",
        "Use <!channel>",
        "Look at person 4242424",
        "Line one\nLine two",
        "a" * 201,
    ],
)
def test_facts_refuse_actions_with_links_mentions_or_ids(action: str) -> None:
    with pytest.raises(ValueError) as refused:
        DigestFacts(team_size=6, suggested_action=action)

    assert action not in str(refused.value)


@pytest.mark.parametrize(
    "overrides",
    [
        {"team_size": -1},
        {"team_size": True},
        {"team_size": 6.0},
        {"active_share": 1.5},
        {"active_share": -0.1},
        {"active_share": float("nan")},
        {"acceptance_rate": 2},
        {"acceptance_rate": float("inf")},
        {"active_share": 0.5, "active_share_change_points": 101},
        {"active_share_change_points": 5},  # a change would reveal a hidden share
        {"unused_seats": -3},
        {"tier_counts": {"light": -1}},
        {"tier_counts": {"Ada Lovelace": 2}},
        {"tier_counts": {"light": 7}},  # more than the team
        {"tool_adoption": {"Cursor": -2}},
        {"tool_adoption": {"Cursor": 2.5}},
        {"tool_adoption": [("Cursor", 2)]},
    ],
)
def test_facts_refuse_figures_out_of_range(overrides: dict[str, object]) -> None:
    values: dict[str, object] = {"team_size": 6, **overrides}

    with pytest.raises(ValueError):
        DigestFacts(**values)  # type: ignore[arg-type]


def test_facts_keep_read_only_copies_of_their_counts() -> None:
    tools = {"GitHub Copilot": 5}
    facts = DigestFacts(team_size=6, tool_adoption=tools)

    tools["ada.lovelace@example.com"] = 1

    assert dict(facts.tool_adoption) == {"GitHub Copilot": 5}
    with pytest.raises(TypeError):
        facts.tool_adoption["Cursor"] = 1  # type: ignore[index]


def test_openai_environment_variables_do_not_reach_the_endpoint(
    fake: FakeOpenAIChat, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_ORG_ID", "org-LEAKED")
    monkeypatch.setenv("OPENAI_PROJECT_ID", "proj_LEAKED")
    monkeypatch.setenv("OPENAI_ADMIN_KEY", "sk-admin-LEAKED")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-proj-LEAKED")
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/leaked")
    monkeypatch.setenv("OPENAI_CUSTOM_HEADERS", "X-Leaked: yes\nAuthorization: Bearer sk-LEAKED")

    with OpenAINarrative(API_KEY, fake.base_url, MODEL, timeout=TIMEOUT) as writer:
        assert writer.narrate(FACTS) == NARRATED

    (request,) = fake.calls()
    assert request.headers["authorization"] == f"Bearer {API_KEY}"
    assert "openai-organization" not in request.headers
    assert "openai-project" not in request.headers
    assert "x-leaked" not in request.headers
    assert "leaked" not in json.dumps(request.headers).lower()
    assert "leaked" not in request.raw_body.decode().lower()


# -- choosing a writer ---------------------------------------------------------------------------


@pytest.mark.parametrize("key", [None, ""])
def test_without_a_key_the_template_is_used_and_nothing_is_called(
    fake: FakeOpenAIChat, key: str | None
) -> None:
    writer: NarrativeWriter = narrative_writer(key, fake.base_url, MODEL, TIMEOUT)

    assert isinstance(writer, TemplateNarrative)
    assert writer.narrate(FACTS) == TEMPLATE
    assert writer.narrate(ALL_HIDDEN) == "Activity figures are hidden for privacy this week."
    assert fake.calls() == []


def test_with_a_key_the_model_writes_the_narrative(fake: FakeOpenAIChat) -> None:
    writer = narrative_writer(API_KEY, fake.base_url, MODEL, TIMEOUT)
    assert isinstance(writer, OpenAINarrative)

    with writer:
        assert writer.narrate(FACTS) == NARRATED

    assert len(fake.calls()) == 1


def test_a_given_http_client_carries_the_requests(fake: FakeOpenAIChat) -> None:
    http_client = httpx2.Client(headers={"X-Uptake-Gateway": "digests"})

    with OpenAINarrative(API_KEY, fake.base_url, MODEL, TIMEOUT, http_client=http_client) as w:
        assert w.narrate(FACTS) == NARRATED

    (request,) = fake.calls()
    assert request.headers["x-uptake-gateway"] == "digests"
    assert http_client.is_closed
