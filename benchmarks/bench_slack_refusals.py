"""Benchmark: what a hostile request to /slack/events costs before it is refused.

Times `bot.logs.redact` on 64 KB and 1 MB texts built to be slow for naive patterns (long
runs with no `@`, dotted runs, URL-encoded addresses), and the web gate refusing unsigned
and oversized bodies of the same sizes. Reports JSON; it never asserts.

    python -m benchmarks.bench_slack_refusals
"""

from __future__ import annotations

import io
import json
import time
from collections.abc import Callable

from bot.gateway.gate import Refusal, SlackRequestGate
from bot.logs import redact
from storage.engine import make_engine

SIZES = {"8KB": 8 * 1024, "64KB": 64 * 1024, "1MB": 1024 * 1024}
TEXTS: dict[str, Callable[[int], str]] = {
    "no_at_run": lambda n: "a" * n,
    "no_at_words": lambda n: ("a" * 3000 + " ") * (n // 3001 + 1),
    "dotted_run": lambda n: ("a.b-" * (n // 4 + 1))[:n],
    "encoded_emails": lambda n: ("ada%40example.com+" * (n // 18 + 1))[:n],
    "form_body": lambda n: ("text=" + "x%2B" * (n // 4 + 1))[:n],
}


def _seconds(run: Callable[[], object], repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - started)
    return round(best, 6)


def _environ(body: bytes) -> dict[str, object]:
    return {
        "REQUEST_METHOD": "POST",
        "CONTENT_LENGTH": str(len(body)),
        "CONTENT_TYPE": "application/x-www-form-urlencoded",
        "HTTP_X_SLACK_REQUEST_TIMESTAMP": str(int(time.time())),
        "HTTP_X_SLACK_SIGNATURE": "v0=" + "0" * 64,
        "wsgi.input": io.BytesIO(body),
    }


def main() -> None:
    """Print the timings as JSON."""
    secret = "benchmark-" + "0" * 8
    gate = SlackRequestGate(
        signing_secret=secret, engine=make_engine("sqlite://"), max_body_bytes=256 * 1024
    )
    results: dict[str, dict[str, object]] = {}
    for size_name, size in SIZES.items():
        for text_name, build in TEXTS.items():
            text = build(size)
            timing = _seconds(lambda text=text: redact(text))  # type: ignore[misc]
            results[f"redact/{text_name}/{size_name}"] = {"seconds": timing}
        body = TEXTS["form_body"](size).encode()
        seconds = _seconds(lambda body=body: gate.admit(_environ(body)))  # type: ignore[misc]
        refusal = gate.admit(_environ(body))
        status = refusal.status if isinstance(refusal, Refusal) else 200
        results[f"gate/unsigned/{size_name}"] = {"seconds": seconds, "status": status}
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
