"""A fake OpenAI-compatible chat completions endpoint, over real HTTP.

Point the real SDK at it with ``base_url=fake.base_url``. The test sets what the model answers
(``fake.content``); every request body is recorded on the `FakeVendorAPI` it routes on, and the
API's faults (429, 500, hangs, malformed bodies) come from ``api.fail_next``.
"""

from __future__ import annotations

import itertools
from typing import Any

from tests.fakes.vendor_http import FakeVendorAPI, Reply, VendorRequest

API_KEY = "sk-proj-FAKEchat0123456789abcdefSECRET"
COMPLETIONS = "/v1/chat/completions"


class FakeOpenAIChat:
    """Routes for ``POST /v1/chat/completions``, answering like the published API does."""

    def __init__(self, api: FakeVendorAPI, *, api_key: str = API_KEY) -> None:
        self.api = api
        self.api_key = api_key
        # What the assistant says; None is a message with no content (as a refusal has).
        self.content: str | None = "Try *Copilot Chat* for your next refactor."
        self.finish_reason = "stop"
        self._ids = itertools.count(1)
        api.route("POST", COMPLETIONS, self._complete)

    @property
    def base_url(self) -> str:
        """What to pass the SDK as ``base_url``."""
        return f"{self.api.url}/v1"

    def calls(self) -> list[VendorRequest]:
        """Requests made to the chat completions endpoint."""
        return self.api.calls(COMPLETIONS)

    def _complete(self, request: VendorRequest) -> Reply:
        if request.headers.get("authorization") != f"Bearer {self.api_key}":
            return Reply(
                {
                    "error": {
                        "message": "Incorrect API key provided.",
                        "type": "invalid_request_error",
                        "param": None,
                        "code": "invalid_api_key",
                    }
                },
                status=401,
            )
        body = request.body if isinstance(request.body, dict) else {}
        number = next(self._ids)
        return Reply(
            {
                "id": f"chatcmpl-FAKE{number:08d}",
                "object": "chat.completion",
                "created": 1_767_225_600 + number,
                "model": body.get("model", "gpt-4.1-mini"),
                "choices": [
                    {
                        "index": 0,
                        "message": {
                            "role": "assistant",
                            "content": self.content,
                            "refusal": None,
                            "annotations": [],
                        },
                        "logprobs": None,
                        "finish_reason": self.finish_reason,
                    }
                ],
                "usage": _usage(body, self.content),
                "service_tier": "default",
                "system_fingerprint": "fp_fake0000",
            },
            headers={"x-request-id": f"req_fake{number:08d}", "openai-processing-ms": "42"},
        )


def _usage(body: dict[str, Any], content: str | None) -> dict[str, Any]:
    """Token counts shaped like the API's (roughly four characters a token)."""
    prompt = sum(len(str(m.get("content", ""))) for m in body.get("messages", [])) // 4 + 1
    completion = len(content or "") // 4
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
        "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
        "completion_tokens_details": {
            "reasoning_tokens": 0,
            "audio_tokens": 0,
            "accepted_prediction_tokens": 0,
            "rejected_prediction_tokens": 0,
        },
    }
