"""Writing to the outbox: every proactive Slack message is written first (bot/outbox.py sends).

`enqueue` writes one message, `enqueue_many` many in one transaction (the weekly digests).
"""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Engine

from storage.engine import session as open_session
from storage.outbox import enqueue_messages


@dataclass(frozen=True, slots=True)
class OutgoingMessage:
    """A message to write to the outbox (see `enqueue` for what each field means)."""

    key: str
    kind: str
    channel: str
    text: str
    blocks: list[dict[str, Any]] | None = None
    person_id: int | None = None
    not_before: dt.datetime | None = None
    expires_at: dt.datetime | None = None
    file: tuple[bytes, str, str] | None = None
    team_id: int | None = None
    chart: Mapping[str, Any] | None = None

    def payload(self) -> dict[str, Any]:
        """What the outbox row stores for the sender."""
        file = self.file
        return {
            "text": self.text,
            "blocks": self.blocks or [],
            "expires_at": self.expires_at.isoformat() if self.expires_at else None,
            "file": None
            if file is None
            else {
                "base64": base64.b64encode(file[0]).decode(),
                "filename": file[1],
                "title": file[2],
            },
            **({"team_id": self.team_id} if self.team_id is not None else {}),
            **({"chart": dict(self.chart)} if self.chart is not None else {}),
        }


def enqueue(engine: Engine, *, now: dt.datetime | None = None, **fields: Any) -> bool:
    """Write a message (the fields of `OutgoingMessage`) to the outbox, due at `not_before`
    (default `now`).

    False when the key was already there: nothing is added, so re-running a job is safe.
    `file` is (content, filename, title) for an upload instead of a message; its title must be
    unique in the conversation: it is how a retry recognises an upload that already happened.
    `team_id` names the team a digest is about: its recipient is checked again before sending.
    `chart` is a chart spec (bot/charts/spec.py), drawn and shown inside the message when sent.
    """
    return enqueue_many(engine, [OutgoingMessage(**fields)], now=now) == 1


def enqueue_many(
    engine: Engine, messages: Sequence[OutgoingMessage], *, now: dt.datetime | None = None
) -> int:
    """Write many messages in one transaction; how many were new (see `enqueue`)."""
    rows = [
        {
            "idempotency_key": message.key,
            "kind": message.kind,
            "channel": message.channel,
            "payload": message.payload(),
            "person_id": message.person_id,
            "next_attempt_at": message.not_before or now,
        }
        for message in messages
    ]
    with open_session(engine) as session:
        added = enqueue_messages(session, rows)
        session.commit()
    return added
