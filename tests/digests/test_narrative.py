"""Digest narratives through the real OpenAI SDK against a fake chat completions server."""

from __future__ import annotations

import dataclasses
import json
import logging
from collections.abc import Iterator

import httpx2
import pytest

from bot.adoption import TierThresholds
from bot.digests.narrative import (
    DigestFacts,
    NarrativeWriter,
    OpenAINarrative,
    TemplateNarrative,
    digest_facts,
    narrative_writer,
    template_narrative,
)
from bot.figures.periods import Period
from bot.figures.releases import ACCEPTANCE, Release
from bot.teams import TeamRef
from tests.fakes.openai_chat import API_KEY, COMPLETIONS, FakeOpenAIChat
from tests.fakes.slack_api import Hang, Malformed, RateLimited, ServerError, Slow
from tests.fakes.vendor_http import FakeVendorAPI, Status, Truncated, VendorFault

MODEL = "gpt-4.1-mini"
TIMEOUT = 0.3
NARRATED = (
    "AI tools are becoming routine: about *6 people* used them in 6 of the last 8 weeks, "
    "and about 27% of suggestions were kept."
)
FACTS = DigestFacts(team_size=14, habitual=6, acceptance_rate=0.27)
ALL_HIDDEN = DigestFacts(team_size=3)
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
        "one or two",
        "do not mention any of those",
        "neutral and encouraging",
        "Never rank",
        "names",
        "links",
        "280 characters",
        "hidden",
        "mrkdwn",
    ):
        assert rule in system["content"]
    assert user["role"] == "user"
    for figure in (
        "people in the team: 14",
        "in at least 6 of the last 8 weeks (approximate): 6",
        "mean share of AI suggestions accepted (approximate): 27%",
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
    fake.content = "a" * 399

    assert writer.narrate(FACTS) == "a" * 399


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
        pytest.param("a" * 400, id="400-characters"),
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
        pytest.param("About 9 people used GitHub Copilot this week.", id="a-figure-not-given"),
        pytest.param("About 6 people, up 11 points on last week.", id="an-invented-change"),
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
    fake.content, fake.finish_reason = "AI tools are becoming routine: about", "length"

    with caplog.at_level(logging.WARNING, logger="bot.digests.narrative"):
        assert writer.narrate(FACTS) == TEMPLATE

    assert_logged_without_content(caplog, fake.content)


def test_an_all_hidden_week_asks_the_model_nothing_and_has_no_prose(
    writer: OpenAINarrative, fake: FakeOpenAIChat
) -> None:
    assert writer.narrate(ALL_HIDDEN) == ""
    assert fake.calls() == []


def assert_logged_without_content(caplog: pytest.LogCaptureFixture, *content: str) -> None:
    """One warning says why, quoting neither the facts nor what the model said."""
    (record,) = [r for r in caplog.records if r.name == "bot.digests.narrative"]
    assert record.levelno == logging.WARNING
    message = record.getMessage()
    assert "fell back" in message
    for text in (NARRATED, "27%", "people in the team", API_KEY, *content):
        if text.strip():
            assert text not in message


# -- the template ---------------------------------------------------------------------------------


def test_the_template_states_the_visible_figures() -> None:
    assert TEMPLATE == (
        "About *6 people* used AI tools in at least 6 of the last 8 weeks, and on average "
        "people accepted about *27%* of the suggestions they were shown."
    )


def test_the_template_has_no_prose_when_everything_is_hidden() -> None:
    assert template_narrative(ALL_HIDDEN) == ""
    assert template_narrative(DigestFacts(team_size=0)) == ""


@pytest.mark.parametrize(
    ("facts", "text"),
    [
        (
            DigestFacts(team_size=9, acceptance_rate=0.3),
            "On average people accepted about *30%* of the suggestions they were shown.",
        ),
        (
            DigestFacts(team_size=9, habitual=1),
            "About *1 person* used AI tools in at least 6 of the last 8 weeks.",
        ),
        (
            DigestFacts(team_size=9, habitual=0),
            "No one has used AI tools in at least 6 of the last 8 weeks yet.",
        ),
    ],
)
def test_the_template_says_only_what_is_visible(facts: DigestFacts, text: str) -> None:
    assert template_narrative(facts) == text


def test_the_template_is_one_sentence_and_calls_nothing(fake: FakeOpenAIChat) -> None:
    writer = TemplateNarrative()

    text = writer.narrate(FACTS)

    assert text == TEMPLATE
    assert text.count(". ") == 0 and text.endswith(".")
    assert fake.calls() == []


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


def release_for_team(k: int = 5) -> Release:
    """The team's release as the digest reads it: names, slugs and ids beside the figures."""
    tiers = [TierThresholds().tier_for(person.active_days).value for person in PEOPLE]
    return Release(
        team=TeamRef(
            id=4_242_499, slug=TEAM["slug"], name=TEAM["name"], parent_id=None, source="org_file"
        ),
        period=Period(2026, 48),
        people=len(PEOPLE),
        visible=True,
        k=k,
        counts={
            "active": sum(1 for p in PEOPLE if p.tools),
            "habit": 2,
            **{f"tier:{tier}": tiers.count(tier) for tier in set(tiers)},
            "tool:copilot": 4,
            "tool:cursor": 2,
        },
        means={ACCEPTANCE: 0.25},
        tools=("copilot", "cursor", "claude_code"),
    )


def test_the_model_sees_no_team_name_person_email_or_id(
    writer: OpenAINarrative, fake: FakeOpenAIChat
) -> None:
    fake.content = "About 2 people used them in 6 of the last 8 weeks."

    assert writer.narrate(digest_facts(release_for_team())) == fake.content

    (request,) = fake.calls()
    wire = (request.raw_body.decode() + json.dumps(request.headers)).lower()
    forbidden = {
        *TEAM.values(),
        *(value for person in PEOPLE for value in person.identifiers()),
        "engines",
        "example.com",
        "4242499",
    }
    assert not [value for value in forbidden if value.lower() in wire]
    user = request.body["messages"][1]["content"]
    for figure in (
        "people in the team: 6",
        "(approximate): 2",
        "accepted (approximate): 25%",
    ):
        assert figure in user


def test_the_model_is_given_none_of_the_digest_lines_figures(
    writer: OpenAINarrative, fake: FakeOpenAIChat
) -> None:
    release = release_for_team()

    writer.narrate(digest_facts(release))

    user = fake.calls()[0].body["messages"][1]["content"]
    assert "Copilot" not in user and "Cursor" not in user and "power" not in user
    assert "(approximate): 4" not in user  # the Copilot count, on the tools line


def test_a_small_team_gives_the_model_nothing() -> None:
    facts = digest_facts(dataclasses.replace(release_for_team(), visible=False))

    assert not facts.anything_visible
    assert facts.habitual is None and facts.acceptance_rate is None


def test_facts_have_no_field_for_a_team_or_person() -> None:
    fields = {field.name for field in dataclasses.fields(DigestFacts)}

    assert fields == {"team_size", "habitual", "acceptance_rate"}


@pytest.mark.parametrize(
    "overrides",
    [
        {"team_size": -1},
        {"team_size": True},
        {"team_size": 6.0},
        {"acceptance_rate": 2},
        {"acceptance_rate": -0.1},
        {"acceptance_rate": float("inf")},
        {"acceptance_rate": float("nan")},
        {"habitual": -3},
        {"habitual": 2.5},
        {"habitual": 7},  # more than the team
    ],
)
def test_facts_refuse_figures_out_of_range(overrides: dict[str, object]) -> None:
    values: dict[str, object] = {"team_size": 6, **overrides}

    with pytest.raises(ValueError):
        DigestFacts(**values)  # type: ignore[arg-type]


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
    assert writer.narrate(ALL_HIDDEN) == ""
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
