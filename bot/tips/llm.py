"""Optional tip rewording by an LLM through any OpenAI-compatible endpoint.

The model sees the library tip's text and the reader's own usage figures, and nothing else: no
name, email, Slack id, team or any other identifier (privacy rule 7). Whatever goes wrong
(timeout, API error, an answer that is empty, too long or carries a link) the library text is
used unchanged, and the warning logged says why without quoting the tip or the answer.

Links are ours: the caller renders a tip's link beside its text, so the link is never sent to
the model, and an answer containing any URL or Slack link markup is rejected rather than
trusted to point where the library says.
"""

from __future__ import annotations

import logging
import math
import re
from dataclasses import dataclass
from typing import Literal, Protocol

from openai.types.chat import ChatCompletion

from bot.adoption import TIER_WINDOW_DAYS, Tier
from bot.llm import ChatClient, model_word

logger = logging.getLogger(__name__)

DEFAULT_TIMEOUT_SECONDS = 4.0
# The prompt asks for under 500 characters; answers up to this many are still taken.
MAX_ANSWER_CHARS = 600
# About 500 characters of English with room to spare; a longer answer is cut off and rejected.
MAX_TOKENS = 300
TEMPERATURE = 0.4

SYSTEM_PROMPT = (
    "You reword one tip about AI coding tools for an engineer who asked to receive tips. "
    "Keep the tip's meaning and every fact in it. You may refer to the reader's own usage "
    "figures given below, but do not add other facts, numbers, claims, names or promises. "
    "Do not add links, URLs, email addresses or @-mentions: the link is shown separately. "
    "Write Slack mrkdwn (*bold*, _italic_, `code`), friendly and encouraging; never shame "
    "the reader, never compare them with other people, never call their usage low or bad. "
    "Stay under 500 characters. Answer with the reworded tip only."
)

# Words in aggregates name tools ("GitHub Copilot") and features ("code_completion"): letters,
# digits, spaces, "_", "+" and "-". No "@", ".", ":" or "/", so no email, domain or URL fits.
_AGGREGATE_WORD = re.compile(r"[A-Za-z][A-Za-z0-9 _+-]{0,47}")
# Shapes of identifiers that would otherwise fit a word: Slack ids (U0123ABCD), long numbers.
_IDENTIFIER_SHAPE = re.compile(r"\b[UWBTCGDS](?=[A-Z0-9]*\d)[A-Z0-9]{6,}\b|\d{5,}")

# Anything that links or pings: a scheme (https://, slack://), mailto:, www., Slack markup
# (<https://…|text>, <#C…>, <@U…>, <!here>), a Markdown link, a bare domain, an @-broadcast.
_LINK = re.compile(
    r"[a-z][a-z0-9+.-]*://|\bmailto:|\bwww\.|<\s*(?:[#@!]|[a-z][a-z0-9+.-]*:)|\]\("
    r"|\b(?:[a-z0-9-]+\.)+(?:com|org|net|io|dev|ai|app|co|so|sh|me|ly|gl|gle)\b",
    re.IGNORECASE,
)
_BROADCAST = re.compile(r"@(?:here|channel|everyone)\b", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class TipAggregates:
    """The reader's own usage, as the model may see it: figures and tool and feature words.

    Never a name, email, Slack id, team or other identifier; construction rejects words shaped
    like one (an email, a URL, a Slack id, a long number).
    """

    tier: str
    active_days_28: int
    tools_used: tuple[str, ...] = ()
    acceptance_rate: float | None = None
    features_used: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.tier not in {tier.value for tier in Tier}:
            raise ValueError(f"tier must be one of {', '.join(tier.value for tier in Tier)}")
        if not 0 <= self.active_days_28 <= TIER_WINDOW_DAYS:
            raise ValueError(f"active_days_28 must be between 0 and {TIER_WINDOW_DAYS}")
        if self.acceptance_rate is not None and not (
            math.isfinite(self.acceptance_rate) and 0 <= self.acceptance_rate <= 1
        ):
            raise ValueError("acceptance_rate must be between 0 and 1")
        for word in (*self.tools_used, *self.features_used):
            if not _AGGREGATE_WORD.fullmatch(word) or _IDENTIFIER_SHAPE.search(word):
                # The word itself may be what must not leak, so it is not in the message.
                raise ValueError("tools_used and features_used hold tool and feature words only")

    def describe(self) -> str:
        """The figures in plain words, as the model reads them."""
        rate = self.acceptance_rate
        lines = [
            f"- usage level: {self.tier} ({self.active_days_28} active days "
            f"in the last {TIER_WINDOW_DAYS})",
            f"- tools used: {_words(self.tools_used, 'tool') or 'none'}",
            f"- suggestion acceptance rate: {'not reported' if rate is None else f'{rate:.0%}'}",
            f"- features used: {_words(self.features_used, 'feature') or 'none reported'}",
        ]
        return "\n".join(lines)


def _words(words: tuple[str, ...], kind: Literal["tool", "feature"]) -> str:
    """The words as the model may read them, each once, in order."""
    return ", ".join(dict.fromkeys(model_word(word, kind) for word in words))


class TipWriter(Protocol):
    """Turns a library tip into the text sent to the person."""

    def reword(self, text: str, link: str, aggregates: TipAggregates) -> str:
        """The tip's text, possibly reworded for `aggregates`; never containing a link.

        `link` is the tip's link, which the caller renders beside the text; it is not part of
        the text and is never sent to a model.
        """
        ...


class LibraryText:
    """The tip exactly as the library words it; calls nothing."""

    def reword(self, text: str, link: str, aggregates: TipAggregates) -> str:
        """`text`, unchanged."""
        return text


class OpenAITipWriter(ChatClient):
    """Rewords tips through an OpenAI-compatible chat completions endpoint, or falls back.

    Close it (or use it as a context manager) to close the SDK's connection pool, including an
    `http_client` passed in.
    """

    def reword(self, text: str, link: str, aggregates: TipAggregates) -> str:
        """The model's rewording of `text` when it is usable, else `text`."""
        answer, problem = self.answer(
            SYSTEM_PROMPT,
            f"Tip:\n{text}\n\nThe reader's own usage:\n{aggregates.describe()}",
            _answer_of,
            max_tokens=MAX_TOKENS,
            temperature=TEMPERATURE,
        )
        return answer if problem is None else _fall_back(text, problem)


def tip_writer(
    api_key: str | None,
    base_url: str,
    model: str,
    timeout: float = DEFAULT_TIMEOUT_SECONDS,
) -> TipWriter:
    """An `OpenAITipWriter` when an API key is configured, else `LibraryText` (no LLM at all)."""
    if not api_key:
        return LibraryText()
    return OpenAITipWriter(api_key, base_url, model, timeout)


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
    if _BROADCAST.search(answer):
        return "", "answer contains a mention"
    return answer, None


def _fall_back(text: str, reason: str) -> str:
    """Log why the library text is used (never the tip or the answer) and return it."""
    logger.warning("tip rewording fell back to the library text: %s", reason)
    return text
