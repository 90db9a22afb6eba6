"""SQLModel tables. Only usage metrics are stored: never prompts, code or message content.

One module per concern; every table and type is importable from here (`from storage.models
import X`), and importing this package registers every table on `SQLModel.metadata`.
"""

from __future__ import annotations

from storage.models.base import UTCDateTime, utcnow
from storage.models.messaging import (
    DigestSubscription,
    OutboxMessage,
    OutboxState,
    TipDelivery,
    TipPreference,
)
from storage.models.ops import AuditEntry, Heartbeat, SlackRequestSeen
from storage.models.people import DisclosureKey, Identity, LinkMethod, Person
from storage.models.teams import (
    Membership,
    Team,
    TeamRelease,
    TeamRole,
    TeamVersion,
    VendorTeamMember,
)
from storage.models.usage import (
    CostKind,
    DailyUsage,
    OrgOutcomeDay,
    OtlpSeries,
    Seat,
    SyncState,
    UsageWeek,
)

__all__ = [
    "AuditEntry",
    "CostKind",
    "DailyUsage",
    "DigestSubscription",
    "DisclosureKey",
    "Heartbeat",
    "Identity",
    "LinkMethod",
    "Membership",
    "OrgOutcomeDay",
    "OtlpSeries",
    "OutboxMessage",
    "OutboxState",
    "Person",
    "Seat",
    "SlackRequestSeen",
    "SyncState",
    "Team",
    "TeamRelease",
    "TeamRole",
    "TeamVersion",
    "TipDelivery",
    "TipPreference",
    "UTCDateTime",
    "UsageWeek",
    "VendorTeamMember",
    "utcnow",
]
