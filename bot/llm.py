"""One way to talk to an OpenAI-compatible chat endpoint: for tip rewording and digest prose.

Both callers send aggregates only (privacy rule 7), never retry (a message goes out on time
with its fallback text rather than late), and get a failure reason instead of an exception.
Every tool and feature word they send goes through `model_word`: a name Uptake knows, or
"another tool" / "another feature" (an in-house tool's slug or a feature in an imported file
is a free word that may say who or what it is about).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from types import TracebackType
from typing import Literal, Self

import httpx2
import openai
from openai.types.chat import ChatCompletionMessageParam

from bot.tips.library import FEATURES_BY_TOOL
from bot.tools import KNOWN_TOOLS

ANOTHER_TOOL = "another tool"
ANOTHER_FEATURE = "another feature"
# A known tool by its slug or its label; a known feature by the id its vendor reports.
_TOOL_LABELS = {**KNOWN_TOOLS, **{label: label for label in KNOWN_TOOLS.values()}}
_FEATURES = frozenset[str]().union(*FEATURES_BY_TOOL.values())


def model_word(word: str, kind: Literal["tool", "feature"]) -> str:
    """How an LLM may read a tool (slug or label) or a feature id: its known name, or else
    "another tool" / "another feature"."""
    if kind == "tool":
        return _TOOL_LABELS.get(word, ANOTHER_TOOL)
    return word.replace("_", " ") if word in _FEATURES else ANOTHER_FEATURE


def openai_client(
    api_key: str, base_url: str, timeout: float, http_client: httpx2.Client | None = None
) -> openai.OpenAI:
    """An SDK client that sends only what we pass it."""
    client = openai.OpenAI(
        api_key=api_key,
        base_url=base_url,
        timeout=timeout,
        max_retries=0,
        http_client=http_client,
    )
    # The SDK fills these from OPENAI_ORG_ID, OPENAI_PROJECT_ID, OPENAI_ADMIN_KEY,
    # OPENAI_WEBHOOK_SECRET and OPENAI_CUSTOM_HEADERS (whose Authorization line would even
    # replace our key). They belong to other uses of the package: send only what we pass.
    client.organization = None
    client.project = None
    client.admin_api_key = None
    client.webhook_secret = None
    client._custom_headers = {}
    return client


def complete(
    client: openai.OpenAI,
    model: str,
    system: str,
    user: str,
    *,
    max_tokens: int,
    temperature: float,
) -> tuple[object | None, str | None]:
    """(the completion, None) or (None, why it failed): timeouts and errors never raise."""
    messages: list[ChatCompletionMessageParam] = [
        {"role": "system", "content": system},
        {"role": "user", "content": user},
    ]
    try:
        completion = client.chat.completions.create(
            model=model, messages=messages, max_tokens=max_tokens, temperature=temperature
        )
    except openai.APITimeoutError:
        return None, "timeout"
    except openai.APIStatusError as exc:
        return None, f"status {exc.status_code}"
    except openai.APIError as exc:  # connection errors, responses the SDK cannot read
        return None, type(exc).__name__
    except json.JSONDecodeError:  # the SDK lets a 200 with a broken JSON body through
        return None, "malformed body"
    return completion, None


class ChatClient:
    """An OpenAI-compatible chat client for one model; close it (or use `with`) when done."""

    def __init__(
        self,
        api_key: str,
        base_url: str,
        model: str,
        timeout: float = 4.0,
        http_client: httpx2.Client | None = None,
    ) -> None:
        self._model = model
        self._client = openai_client(api_key, base_url, timeout, http_client)

    def ask(
        self, system: str, user: str, *, max_tokens: int, temperature: float
    ) -> tuple[object | None, str | None]:
        """(the completion, None) or (None, why it failed)."""
        return complete(
            self._client,
            self._model,
            system,
            user,
            max_tokens=max_tokens,
            temperature=temperature,
        )

    def answer(
        self,
        system: str,
        user: str,
        check: Callable[[object], tuple[str, str | None]],
        *,
        max_tokens: int,
        temperature: float,
    ) -> tuple[str, str | None]:
        """(the checked answer, None), or ("", why it must not be used)."""
        completion, failure = self.ask(system, user, max_tokens=max_tokens, temperature=temperature)
        if failure is not None:
            return "", failure
        return check(completion)

    def close(self) -> None:
        """Close the SDK client and its connections (including an `http_client` passed in)."""
        self._client.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
