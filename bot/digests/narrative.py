"""The sentence or two that open a manager's weekly digest, optionally written by an LLM.

The digest shows the week's change in its headline and the tier mix, tool adoption, outcomes
and one next step on their own lines; the prose adds what those lines do not say: how deep the
use goes (habit, acceptance), so it never repeats them. `DigestFacts` carries only those depth
figures, and an answer quoting any number that is not among them is refused, so a model cannot
repeat a line's figure or invent one.

The model sees `DigestFacts` and nothing else: aggregate numbers about one team's week, never
the team's name (in a small organisation a team name can point at people), a person's name,
email, Slack id or any other identifier (privacy rule 7). Figures hidden because their group is
smaller than k stay hidden: the model is never given them, and with nothing visible it is not
asked at all.

Whatever goes wrong (no key, timeout, API error, an answer that is empty, too long, quotes a
figure it was not given or carries a link or mention) the digest uses `template_narrative`,
built from the same facts, and the warning logged says why without quoting the facts or the
answer.
"""

from __future__ import annotations

import logging
import math
import re
from dataclasses import dataclass
from types import TracebackType
from typing import Protocol, Self

from openai.types.chat import ChatCompletion

from bot.adoption import HABIT_WEEKS
from bot.figures.releases import ACCEPTANCE, HABIT_MIN_WEEKS, Release
from bot.llm import ChatClient

# The same shapes tip rewording refuses to accept: one definition of "an identifier", "a link"
# and "a broadcast" for everything that talks to an LLM.
from bot.tips.llm import _BROADCAST, _IDENTIFIER_SHAPE, _LINK

logger = logging.getLogger(__name__)

DEFAULT_TIMEOUT_SECONDS = 4.0
# The prompt asks for under 280 characters (a phone screen); answers up to this many are taken.
MAX_ANSWER_CHARS = 400
# About 280 characters of English with room to spare; a longer answer is cut off and rejected.
MAX_TOKENS = 200
TEMPERATURE = 0.4

SYSTEM_PROMPT = (
    "You write the opening of a weekly digest about one engineering team's use of AI coding "
    "tools, read by the team's manager on a phone. The digest already shows, on their own "
    "lines, how many people were active, the change since last week, the usage levels, each "
    "tool's users, outcomes and one next step: do not mention any of those. Write one or two "
    "short sentences, neutral and encouraging, about how deep the use goes, from the figures "
    "given below only: do not add other facts, numbers, claims or promises. "
    "Never rank or compare people or teams, never single anyone out, and never call usage low "
    "or bad. A figure marked hidden is hidden for privacy: do not guess it or mention it. "
    "Counts are approximate (they carry a little noise for privacy): say 'about', never "
    "present them as exact. Do not use names, and do not add links, URLs, email addresses or "
    "@-mentions. Write Slack mrkdwn (*bold*, _italic_), stay under 280 characters, and answer "
    "with the sentences only."
)

HIDDEN = "hidden for privacy"

# A number as people write one: 6, 27%, 1,200, 0.27.
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
# An "@" in a narrative is an email or a mention whatever follows it.
_AT = re.compile("@")


@dataclass(frozen=True, slots=True)
class DigestFacts:
    """How deep one team's use goes this week, as the narrative may describe it.

    Deliberately without a team name, person, email or id, and without the figures the digest
    shows on its own lines. A `None` figure is hidden (its group is smaller than k) and is never
    described. Construction refuses figures out of range.
    """

    team_size: int
    # People active in at least HABIT_MIN_WEEKS of the last HABIT_WEEKS weeks.
    habitual: int | None = None
    # The mean of each person's share of suggestions accepted, 0–1.
    acceptance_rate: float | None = None

    def __post_init__(self) -> None:
        _check_count("team_size", self.team_size)
        if self.habitual is not None:
            _check_count("habitual", self.habitual)
            if self.habitual > self.team_size:
                raise ValueError("habitual cannot exceed team_size")
        rate = self.acceptance_rate
        if rate is not None and (
            not isinstance(rate, (int, float))
            or isinstance(rate, bool)
            or not math.isfinite(rate)
            or not 0 <= rate <= 1
        ):
            raise ValueError("acceptance_rate must be between 0 and 1")

    @property
    def anything_visible(self) -> bool:
        """True when there is a figure to write about."""
        return self.habitual is not None or self.acceptance_rate is not None

    def describe(self) -> str:
        """The facts in plain words and numbers, as the model reads them."""
        habitual = HIDDEN if self.habitual is None else str(self.habitual)
        rate = HIDDEN if self.acceptance_rate is None else f"{self.acceptance_rate:.0%}"
        return "\n".join(
            (
                f"- people in the team: {self.team_size}",
                f"- people who used an AI coding tool in at least {HABIT_MIN_WEEKS} of the last "
                f"{HABIT_WEEKS} weeks (approximate): {habitual}",
                f"- mean share of AI suggestions accepted (approximate): {rate}",
            )
        )


def digest_facts(release: Release) -> DigestFacts:
    """The depth figures of a team's release: what the digest's prose may say."""
    return DigestFacts(
        team_size=release.people,
        habitual=release.count("habit"),
        acceptance_rate=release.means.get(ACCEPTANCE) if release.visible else None,
    )


def template_narrative(facts: DigestFacts) -> str:
    """A sentence in Slack mrkdwn from `facts` alone, or "" when every figure is hidden."""
    parts = []
    if facts.habitual is not None:
        habit = f"in at least {HABIT_MIN_WEEKS} of the last {HABIT_WEEKS} weeks"
        parts.append(
            f"No one has used AI tools {habit} yet"
            if facts.habitual == 0
            else f"About *{_people(facts.habitual)}* used AI tools {habit}"
        )
    if facts.acceptance_rate is not None:
        accepted = f"*{facts.acceptance_rate:.0%}*"
        parts.append(
            f"on average people accepted about {accepted} of the suggestions they were shown"
            if parts
            else f"On average people accepted about {accepted} of the suggestions they were shown"
        )
    return ", and ".join(parts) + "." if parts else ""


class NarrativeWriter(Protocol):
    """Turns a team's week into the digest's opening sentences."""

    def narrate(self, facts: DigestFacts) -> str:
        """A sentence or two of Slack mrkdwn about `facts` ("" for nothing), never a link."""
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
        if not facts.anything_visible:
            return ""  # nothing to write about: the model is not asked
        answer, problem = self.answer(
            SYSTEM_PROMPT,
            f"The team's week:\n{facts.describe()}",
            _answer_of,
            max_tokens=MAX_TOKENS,
            temperature=TEMPERATURE,
        )
        if problem is None and not _numbers(answer) <= _numbers(facts.describe()):
            problem = "answer quotes a figure it was not given"
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


def _people(count: int) -> str:
    return f"{count} {'person' if count == 1 else 'people'}"


def _numbers(text: str) -> set[str]:
    """The numbers written in `text`, without thousands separators."""
    return {number.replace(",", "") for number in _NUMBER.findall(text)}


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
