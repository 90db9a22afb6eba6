"""Queries that belong to no one table: row counts for the admin status, outbox states.

The rest moved to modules named for what they query (storage/usage.py, people.py,
identities.py, memberships.py, sync_state.py, seats.py, audit.py, tips.py, subscriptions.py,
teams.py, outbox.py); they are re-exported here (listed in `__all__`) for existing callers.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col

from storage.audit import (
    audit,
    audit_entries,
)
from storage.batches import MAX_PARAMS
from storage.identities import (
    ensure_identities,
    identities_of,
    identity,
    identity_by_key,
    link_identities_to_known_people,
    link_identity,
    link_unlinked_identities_by_email,
    pending_claims,
    set_identity_emails,
)
from storage.memberships import (
    add_memberships,
    direct_team_roles,
    direct_team_roles_of,
    managers_of_teams,
    replace_team_memberships,
    replace_vendor_teams,
    set_manager,
    team_managers,
    team_member_slack_ids,
    team_members,
)
from storage.models import DailyUsage, Identity, OutboxMessage, OutboxState, Person, Team
from storage.outbox import (
    claim_due_messages,
    enqueue_message,
    finish_message,
    outbox_messages,
)
from storage.people import (
    people_by_emails,
    people_by_slack_ids,
    person,
    person_by_email,
    person_by_slack_id,
    time_zones,
    upsert_people,
)
from storage.seats import (
    replace_seats,
    seats_of,
)
from storage.subscriptions import (
    digest_subscriptions,
    set_digest_subscription,
)
from storage.sync_state import (
    record_sync_error,
    record_sync_success,
    sync_state,
    sync_states,
)
from storage.teams import (
    all_teams,
    upsert_teams,
)
from storage.tips import (
    add_tip_delivery,
    tip_delivery,
    tip_feedback_by_tip,
    tip_history,
    tip_people,
    tip_preference,
)
from storage.usage import (
    USAGE_COUNTERS,
    USAGE_METRICS,
    UsageRow,
    person_usage,
    replace_source_day,
    upsert_daily_usage,
    usage_rows_for_person,
    zero_usage,
)

__all__ = [
    "USAGE_COUNTERS",
    "USAGE_METRICS",
    "UsageRow",
    "add_memberships",
    "add_tip_delivery",
    "all_teams",
    "audit",
    "audit_entries",
    "claim_due_messages",
    "count_rows",
    "digest_subscriptions",
    "direct_team_roles",
    "direct_team_roles_of",
    "enqueue_message",
    "ensure_identities",
    "finish_message",
    "identities_of",
    "identity",
    "identity_by_key",
    "link_identities_to_known_people",
    "link_identity",
    "link_unlinked_identities_by_email",
    "managers_of_teams",
    "outbox_messages",
    "outbox_states",
    "pending_claims",
    "people_by_emails",
    "people_by_slack_ids",
    "person",
    "person_by_email",
    "person_by_slack_id",
    "person_usage",
    "record_sync_error",
    "record_sync_success",
    "replace_seats",
    "replace_source_day",
    "replace_team_memberships",
    "replace_vendor_teams",
    "seats_of",
    "set_digest_subscription",
    "set_identity_emails",
    "set_manager",
    "sync_state",
    "sync_states",
    "table_counts",
    "team_managers",
    "team_member_slack_ids",
    "team_members",
    "time_zones",
    "tip_delivery",
    "tip_feedback_by_tip",
    "tip_history",
    "tip_people",
    "tip_preference",
    "upsert_daily_usage",
    "upsert_people",
    "upsert_teams",
    "usage_rows_for_person",
    "zero_usage",
]


def count_rows(session: Session, model: type[Any]) -> int:
    """How many rows a table holds."""
    return int(session.execute(sa.select(sa.func.count()).select_from(model)).scalar_one())


def table_counts(session: Session) -> dict[str, int]:
    """Row counts of the main tables, for the admin status."""
    return {
        "people": count_rows(session, Person),
        "accounts": count_rows(session, Identity),
        "teams": count_rows(session, Team),
        "daily rows": count_rows(session, DailyUsage),
        "outbox pending": int(
            session.execute(
                sa.select(sa.func.count())
                .select_from(OutboxMessage)
                .where(col(OutboxMessage.state) == OutboxState.PENDING.value)
            ).scalar_one()
        ),
    }


def outbox_states(keys: Sequence[str], *, session: Session) -> dict[str, str]:
    """The outbox state of each idempotency key that exists."""
    states: dict[str, str] = {}
    for start in range(0, len(keys), MAX_PARAMS):
        part = list(keys[start : start + MAX_PARAMS])
        for key, state in session.execute(
            sa.select(col(OutboxMessage.idempotency_key), col(OutboxMessage.state)).where(
                col(OutboxMessage.idempotency_key).in_(part)
            )
        ):
            states[key] = state
    return states
