"""The one or two sentences that open a manager's weekly digest, optionally written by an LLM.

The model sees `DigestFacts` and nothing else: aggregate numbers and tool words about one team's
week, never the team's name (in a small organisation a team name can point at people), a
person's name, email, Slack id or any other identifier (privacy rule 7). Figures hidden because
their group is smaller than k stay hidden: the model is told so and never given them.

Whatever goes wrong (no key, timeout, API error, an answer that is empty, too long or carries a
link or mention) the digest uses `template_narrative`, built from the same facts, and the
warning logged says why without quoting the facts or the answer.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType, TracebackType
from typing import Protocol, Self

from openai.types.chat import ChatCompletion

from bot.adoption import TIER_WINDOW_DAYS, Tier
from bot.llm import ChatClient, model_word

# The same shapes tip rewording refuses to send and to accept: one definition of "a tool word",
# "an identifier", "a link" and "a broadcast" for everything that talks to an LLM.
from bot.tips.llm import _AGGREGATE_WORD, _BROADCAST, _IDENTIFIER_SHAPE, _LINK

logger = logging.getLogger(__name__)

DEFAULT_TIMEOUT_SECONDS = 4.0
# The prompt asks for under 500 characters; answers up to this many are still taken.
MAX_ANSWER_CHARS = 600
# About 500 characters of English with room to spare; a longer answer is cut off and rejected.
MAX_TOKENS = 300
TEMPERATURE = 0.4
# More tools than this are left to the digest's table rather than the template's sentence.
TEMPLATE_TOOLS = 4
MAX_ACTION_CHARS = 200

SYSTEM_PROMPT = (
    "You write the opening of a weekly digest about one engineering team's use of AI coding "
    "tools, read by the team's manager. Write two or three sentences, neutral and encouraging, "
    "from the figures given below only: do not add other facts, numbers, claims or promises. "
    "Never rank or compare people or teams, never single anyone out, and never call usage low "
    "or bad. A figure marked hidden is hidden for privacy: do not guess it or work it out from "
    "the others. Counts are approximate (they carry a little noise for privacy): say 'about', "
    "never present them as exact. Do not use names, and do not add links, URLs, email "
    "addresses or @-mentions. "
    "Write Slack mrkdwn (*bold*, _italic_), stay under 500 characters, and answer with the "
    "sentences only."
)

HIDDEN = "hidden for privacy"
NOT_AVAILABLE = "not available"

# A suggested next step is our own wording (e.g. "Share the `/aitips` command with the team"):
# letters, digits, spaces, basic punctuation and mrkdwn marks. No "@", "<", ">", "|" or "&",
# so no email, mention or Slack markup fits; links and identifiers are refused separately.
_ACTION = re.compile(rf"[A-Za-z0-9 ,.;:'’()%+*_`!?/-]{{0,{MAX_ACTION_CHARS}}}")
# An "@" in a narrative is an email or a mention whatever follows it.
_AT = re.compile("@")


@dataclass(frozen=True, slots=True)
class DigestFacts:
    """One team's week as the narrative may describe it: aggregate numbers and tool words.

    Deliberately without a team name, person, email or id. A `None` figure is hidden (its group
    is smaller than k) or unknown, and is described as such, never guessed. Construction refuses
    figures out of range and words shaped like an identifier (an email, URL, Slack id, long
    number); the mappings are copied into read-only views.
    """

    team_size: int
    # Share of the team with any AI-tool use this week, 0–1.
    active_share: float | None = None
    # Change of that share since last week, in percentage points; hidden with the share.
    active_share_change_points: int | None = None
    # Tier value ("inactive", "light", "regular", "power") -> people over the trailing 28 days.
    tier_counts: Mapping[str, int | None] = field(default_factory=dict)
    # Tool label ("GitHub Copilot") -> people who used it this week.
    tool_adoption: Mapping[str, int | None] = field(default_factory=dict)
    acceptance_rate: float | None = None
    unused_seats: int | None = None
    # Our own wording for one next step; "" when there is none.
    suggested_action: str = ""

    def __post_init__(self) -> None:
        _check_count("team_size", self.team_size)
        _check_share("active_share", self.active_share)
        _check_share("acceptance_rate", self.acceptance_rate)
        change = self.active_share_change_points
        if change is not None:
            if not isinstance(change, int) or isinstance(change, bool) or not -100 <= change <= 100:
                raise ValueError("active_share_change_points must be between -100 and 100")
            if self.active_share is None:
                # With last week's share, the change would reveal this week's hidden one.
                raise ValueError("active_share_change_points is hidden with active_share")
        if self.unused_seats is not None:
            _check_count("unused_seats", self.unused_seats)
        tiers = {tier.value for tier in Tier}
        for name, counts in (
            ("tier_counts", self.tier_counts),
            ("tool_adoption", self.tool_adoption),
        ):
            if not isinstance(counts, Mapping):
                raise ValueError(f"{name} must be a mapping")
            for key, count in counts.items():
                if name == "tier_counts" and key not in tiers:
                    raise ValueError(f"tier_counts keys must be one of {', '.join(sorted(tiers))}")
                if name == "tool_adoption" and not _is_tool_word(key):
                    # The word itself may be what must not leak, so it is not in the message.
                    raise ValueError("tool_adoption keys must be tool labels")
                if count is not None:
                    _check_count(name, count)
                    if count > self.team_size:
                        raise ValueError(f"{name} counts cannot exceed team_size")
            object.__setattr__(self, name, MappingProxyType(dict(counts)))
        action = self.suggested_action
        if not isinstance(action, str) or not _is_plain_sentence(action):
            raise ValueError(
                "suggested_action must be plain wording without links, mentions or identifiers"
            )

    def describe(self) -> str:
        """The facts in plain words and numbers, as the model reads them."""
        if self.active_share is None:
            active = HIDDEN
        else:
            active = f"{self.active_share:.0%}"
            change = self.active_share_change_points
            if change is not None:
                active += f" ({_change_words(change)} since last week)"
        rate = self.acceptance_rate
        seats = self.unused_seats
        lines = [
            f"- people in the team: {self.team_size}",
            f"- share of the team that used an AI coding tool this week: {active}",
            f"- people by usage level over the last {TIER_WINDOW_DAYS} days: "
            + _counts_words(self.tier_counts),
            "- people who used each tool this week: "
            + _counts_words(self.tool_adoption, lambda tool: model_word(tool, "tool")),
            "- mean suggestion acceptance rate (approximate): "
            + (NOT_AVAILABLE if rate is None else f"{rate:.0%}"),
            "- paid seats unused this week: " + (NOT_AVAILABLE if seats is None else str(seats)),
            "- suggested next step: " + (self.suggested_action.strip() or "none"),
        ]
        return "\n".join(lines)


def template_narrative(facts: DigestFacts) -> str:
    """One or two plain sentences in Slack mrkdwn from `facts` alone; hidden figures stay hidden.

    Nothing is derived from hidden figures (no totals minus visible parts), so a hidden group is
    never recoverable from the text.
    """
    if facts.active_share is None:
        first = "Activity figures are hidden for privacy this week"
    else:
        first = (
            f"About *{facts.active_share:.0%}* of the team's {_people(facts.team_size)} "
            "used an AI coding tool this week"
        )
        change = facts.active_share_change_points
        if change is not None:
            first += f", {_change_words(change)} on last week"
    tools = [
        f"{label} (~{_people(count)})"
        for label, count in facts.tool_adoption.items()
        if count  # hidden and zero counts are left out
    ][:TEMPLATE_TOOLS]
    if tools:
        first += "; tools in use: " + ", ".join(tools)
    sentences = [first + "."]

    details = []
    if facts.acceptance_rate is not None:
        details.append(f"the mean suggestion acceptance rate was about {facts.acceptance_rate:.0%}")
    if facts.unused_seats:
        seats = facts.unused_seats
        details.append(f"{seats} paid seat{'' if seats == 1 else 's'} went unused")
    action = facts.suggested_action.strip().rstrip(".").strip()
    second = " and ".join(details)
    second = second[:1].upper() + second[1:]
    if action:
        step = f"suggested next step: {action}"
        second = f"{second} — {step}" if second else step[:1].upper() + step[1:]
    if second:
        sentences.append(second if second.endswith(("!", "?")) else second + ".")
    return " ".join(sentences)


class NarrativeWriter(Protocol):
    """Turns a team's week into the digest's opening sentences."""

    def narrate(self, facts: DigestFacts) -> str:
        """Two or three sentences of Slack mrkdwn about `facts`, never containing a link."""
        ...


class TemplateNarrative:
    """The template's sentences; calls nothing."""

    def narrate(self, facts: DigestFacts) -> str:
        """`template_narrative(facts)`."""
        return template_narrative(facts)

    def close(self) -> None:
        """Nothing to close; here so either writer can be closed alike."""

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class OpenAINarrative(ChatClient):
    """Writes the narrative through an OpenAI-compatible chat completions endpoint, or falls back.

    Close it (or use it as a context manager) to close the SDK's connection pool, including an
    `http_client` passed in.
    """

    def narrate(self, facts: DigestFacts) -> str:
        """The model's sentences about `facts` when they are usable, else the template's."""
        answer, problem = self.answer(
            SYSTEM_PROMPT,
            f"The team's week:\n{facts.describe()}",
            _answer_of,
            max_tokens=MAX_TOKENS,
            temperature=TEMPERATURE,
        )
        return answer if problem is None else _fall_back(facts, problem)


def narrative_writer(
    api_key: str | None,
    base_url: str,
    model: str,
    timeout: float = DEFAULT_TIMEOUT_SECONDS,
) -> NarrativeWriter:
    """An `OpenAINarrative` when an API key is configured, else `TemplateNarrative` (no LLM)."""
    if not api_key:
        return TemplateNarrative()
    return OpenAINarrative(api_key, base_url, model, timeout)


def _check_count(name: str, value: object) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ValueError(f"{name} must be a whole number of at least 0")


def _check_share(name: str, value: object) -> None:
    if value is None:
        return
    if (
        not isinstance(value, (int, float))
        or isinstance(value, bool)
        or not math.isfinite(value)
        or not 0 <= value <= 1
    ):
        raise ValueError(f"{name} must be between 0 and 1")


def _is_tool_word(word: object) -> bool:
    return (
        isinstance(word, str)
        and bool(_AGGREGATE_WORD.fullmatch(word))
        and not _IDENTIFIER_SHAPE.search(word)
    )


def _is_plain_sentence(text: str) -> bool:
    return (
        bool(_ACTION.fullmatch(text))
        and not _LINK.search(text)
        and not _IDENTIFIER_SHAPE.search(text)
    )


def _people(count: int) -> str:
    return f"{count} {'person' if count == 1 else 'people'}"


def _change_words(points: int) -> str:
    if points == 0:
        return "unchanged"
    return f"{'up' if points > 0 else 'down'} {abs(points)} percentage point" + (
        "" if abs(points) == 1 else "s"
    )


def _counts_words(
    counts: Mapping[str, int | None], word: Callable[[str], str] = lambda key: key.replace("_", " ")
) -> str:
    if not counts:
        return NOT_AVAILABLE
    return ", ".join(
        f"{word(key)} {HIDDEN if count is None else count}" for key, count in counts.items()
    )


def _answer_of(completion: object) -> tuple[str, str | None]:
    """The answer's text and, when it must not be used, why not.

    Without strict validation the SDK builds whatever the endpoint sent (a gateway may send
    `null`, no choices or a non-string content), so each level is checked.
    """
    if not isinstance(completion, ChatCompletion):
        return "", "not a chat completion"
    choices: object = completion.choices
    if not isinstance(choices, list) or not choices:
        return "", "no choices"
    choice = choices[0]
    if getattr(choice, "finish_reason", None) == "length":
        return "", "cut off at the token limit"
    content = getattr(getattr(choice, "message", None), "content", None)
    if not isinstance(content, str) or not content.strip():
        return "", "empty answer"
    answer = content.strip()
    if len(answer) >= MAX_ANSWER_CHARS:
        return "", f"too long ({len(answer)} characters)"
    if _LINK.search(answer):
        return "", "answer contains a link"
    if _BROADCAST.search(answer) or _AT.search(answer):
        return "", "answer contains a mention"
    if _IDENTIFIER_SHAPE.search(answer):
        return "", "answer contains an identifier"
    return answer, None


def _fall_back(facts: DigestFacts, reason: str) -> str:
    """Log why the template is used (never the facts or the answer) and return it."""
    logger.warning("digest narrative fell back to the template: %s", reason)
    return template_narrative(facts)
