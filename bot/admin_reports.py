"""`/uptake-admin` reports: status, policy, unused seats, tip figures, organisation outcomes."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from slack_sdk import WebClient

from bot.blocks.admin import (
    policy_blocks,
    seats_blocks,
    sources_blocks,
    tips_blocks,
)
from bot.blocks.common import Block
from bot.blocks.org_outcomes import org_outcomes_blocks
from bot.collectors.registry import SOURCES
from bot.figures.disclosure import Rules, group_counts
from bot.figures.noise import new_record_key
from bot.figures.releases import SEAT_IDLE_DAYS
from bot.orgwide.outcomes import org_outcomes
from bot.personal.privacy import LOOKED_ACTION
from bot.services import Services
from bot.tools import COPILOT
from storage import audit, queries, sync_state, tips
from storage import releases as release_store
from storage.engine import session as open_session
from storage.identities import owners_of_accounts
from storage.seats import seats_of

if TYPE_CHECKING:
    from bot.admin import AdminRequest


def sources_report(
    services: Services, _client: WebClient, _user: str, _request: AdminRequest
) -> tuple[list[Block], str]:
    with open_session(services.engine) as session:
        states = {state.source: state for state in sync_state.sync_states(session)}
        counts = queries.table_counts(session)
    rows = [
        (source, source.enabled(services.settings), states.get(source.name)) for source in SOURCES
    ]
    return sources_blocks(rows, now=services.clock(), counts=counts), "Uptake status"


def policy_report(
    services: Services, _client: WebClient, _user: str, _request: AdminRequest
) -> tuple[list[Block], str]:
    return policy_blocks(services.settings), "Policy"


def seats_report(
    services: Services, _client: WebClient, user: str, _request: AdminRequest
) -> tuple[list[Block], str]:
    now = services.clock()
    idle_since = now - dt.timedelta(days=SEAT_IDLE_DAYS)
    with open_session(services.engine) as session:
        seats = seats_of(session, COPILOT)
    idle = sorted(
        seat.external_id
        for seat in seats
        if seat.last_activity_at is None or seat.last_activity_at <= idle_since
    )
    with open_session(services.engine) as session:
        # Each person whose seat is listed can see, in their own audit log, that an admin looked;
        # a pending claim to a seat's login owns nothing, so the claimer is told nothing.
        owners = owners_of_accounts(session, COPILOT, idle)
        for login in idle:
            if login in owners:
                audit.audit(
                    session,
                    LOOKED_ACTION,
                    actor=user,
                    subject_person_id=owners[login],
                    detail={"what": f"Copilot seat unused {SEAT_IDLE_DAYS}+ days"},
                    at=now,
                )
        session.commit()
    return seats_blocks(idle, total=len(seats), idle_days=SEAT_IDLE_DAYS), "Unused seats"


def tips_report(
    services: Services, _client: WebClient, _user: str, _request: AdminRequest
) -> tuple[list[Block], str]:
    rules = Rules(k=services.settings.min_group_size, epsilon=services.settings.disclosure_epsilon)
    with open_session(services.engine) as session:
        by_tip = tips.tip_feedback_by_tip(session)
        everyone = {person for reactions in by_tip.values() for person, _ in reactions}
        keys = release_store.record_keys(session, everyone, new_record_key)
        session.commit()
    rows = []
    for tip_id, reactions in sorted(by_tip.items()):
        # Figures per tip, never per person: a tip sent to fewer than k people shows nothing.
        sent_to = {person for person, _ in reactions}
        counts = group_counts(
            sent_to,
            {
                name: {p for p, feedback in reactions if feedback == name}
                for name in ("helpful", "not_for_me", "stop")
            },
            keys,
            rules,
        )
        rows.append((tip_id, len(sent_to), counts))
    return tips_blocks(rows, rules.k), "Tip figures"


def outcomes_report(
    services: Services, _client: WebClient, _user: str, _request: AdminRequest
) -> tuple[list[Block], str]:
    k = services.settings.min_group_size
    figures = org_outcomes(services.engine, today=services.clock().date(), k=k)
    return org_outcomes_blocks(figures, k=k), "GitHub organisation outcomes"
