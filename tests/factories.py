"""Factories for people, identities and usage; each test builds what it needs."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterable
from typing import Any

from sqlalchemy.engine import Engine

from storage import queries
from storage.engine import session as open_session
from storage.models import LinkMethod, SyncState

_ids = itertools.count(1)


def make_person(
    engine: Engine,
    *,
    slack_user_id: str | None = None,
    email: str | None = None,
    tz: str = "UTC",
    name: str = "Test Person",
) -> int:
    """Create a person and return their id."""
    slack_user_id = slack_user_id or f"U{next(_ids):08d}"
    with open_session(engine) as session:
        ids = queries.upsert_people(
            session,
            [{"slack_user_id": slack_user_id, "email": email, "tz": tz, "display_name": name}],
        )
        session.commit()
    return ids[slack_user_id]


def make_identity(
    engine: Engine,
    *,
    tool: str,
    external_id: str,
    person_id: int | None = None,
    verified: bool = True,
    method: LinkMethod = LinkMethod.ADMIN,
) -> int:
    """Create an identity, linked to a person when given."""
    with open_session(engine) as session:
        identity_id = queries.ensure_identities(session, [(tool, external_id)])[(tool, external_id)]
        if person_id is not None:
            queries.link_identity(session, identity_id, person_id, method, verified=verified)
        session.commit()
    return identity_id


def usage_row(identity_id: int, tool: str, day: dt.date, **metrics: Any) -> dict[str, Any]:
    """A daily usage row with zeroes for the metrics not given."""
    row: dict[str, Any] = {
        "identity_id": identity_id,
        "day": day,
        "tool": tool,
        "source": tool,
        **queries.zero_usage(),
        "active": True,
    }
    row.update(metrics)
    return row


def add_usage(engine: Engine, rows: Iterable[dict[str, Any]]) -> int:
    """Write usage rows through the production upsert."""
    with open_session(engine) as session:
        written = queries.upsert_daily_usage(session, list(rows))
        session.commit()
    return written


def set_sync_state(engine: Engine, state: SyncState) -> None:
    """Record a source's sync state."""
    with open_session(engine) as session:
        session.merge(state)
        session.commit()
