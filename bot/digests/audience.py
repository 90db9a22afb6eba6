"""Who may get a team's digest, checked when it is built and again just before it is sent.

A digest goes to a manager of the team (unless they opted out), to someone who subscribed while
they may still see the team (a member of it, or a manager of it or of a team above it), and to
a channel an admin subscribed. Anyone who left the team, stopped managing it, or had their
channel unsubscribed gets nothing more, even a digest already queued for them. Admins look at a
team on demand (`/teamusage TEAM`, audited), not through a standing subscription.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.engine import Engine

from storage.audience import DigestStanding, digest_standing, digest_standings
from storage.engine import session as open_session
from storage.models import OutboxMessage

# The outbox kinds that carry a team's digest; their payload names the team (`team_id`).
DIGEST_KINDS = frozenset({"digest", "digest_chart"})
_CHANNEL_PREFIXES = ("C", "G")


def may_receive_digest(engine: Engine, team_id: int, recipient: str) -> bool:
    """True while `recipient` (a Slack user or channel id) may get the team's digest."""
    with open_session(engine) as session:
        standing = digest_standing(session, team_id, recipient)
    return _allowed(standing, recipient)


def may_receive_digests(engine: Engine, pairs: Sequence[tuple[int, str]]) -> set[tuple[int, str]]:
    """The (team id, recipient) pairs that may get the team's digest, read all at once."""
    with open_session(engine) as session:
        standings = digest_standings(session, pairs)
    return {pair for pair, standing in standings.items() if _allowed(standing, pair[1])}


def _allowed(standing: DigestStanding, recipient: str) -> bool:
    if not standing.team_counts:  # removed, or a group an admin has since denied
        return False
    if standing.subscription is False:
        return False
    if not standing.is_person:
        return standing.subscription is True and recipient.startswith(_CHANNEL_PREFIXES)
    if standing.subscription is None:
        return standing.manager
    return standing.member or standing.manager or standing.manages_above


def may_still_send(engine: Engine, message: OutboxMessage) -> bool:
    """The outbox's check before sending a digest: is its recipient still allowed it?"""
    team_id = message.payload.get("team_id")
    if not isinstance(team_id, int):
        return False  # a digest that does not say which team it is about is not sent
    return may_receive_digest(engine, team_id, message.channel)
