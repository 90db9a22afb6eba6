"""Build the headers Slack attaches to signed requests (events, commands, interactivity)."""

from __future__ import annotations

import hashlib
import hmac
import time


def sign_slack_request(
    signing_secret: str, body: bytes, timestamp: int | None = None
) -> dict[str, str]:
    """Return the headers Slack would send with ``body``, signed with ``signing_secret``.

    The signature is ``v0=`` + hex HMAC-SHA256 of ``f"v0:{timestamp}:{body}"`` keyed with the
    signing secret, exactly as described in Slack's "Verifying requests from Slack" guide.
    ``timestamp`` defaults to the current Unix time.
    """
    ts = int(time.time()) if timestamp is None else int(timestamp)
    base = b"v0:" + str(ts).encode("ascii") + b":" + body
    digest = hmac.new(signing_secret.encode("utf-8"), base, hashlib.sha256).hexdigest()
    return {
        "X-Slack-Request-Timestamp": str(ts),
        "X-Slack-Signature": f"v0={digest}",
        "Content-Type": "application/x-www-form-urlencoded",
    }
