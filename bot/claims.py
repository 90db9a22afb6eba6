"""Reviewing GitHub login claims: the service behind the admins' Approve and Deny buttons."""

from __future__ import annotations

from slack_sdk import WebClient

from bot.admin import is_admin
from bot.blocks.common import Block, code, section
from bot.blocks.links import claim_decided_blocks
from bot.linking import decide_claim
from bot.outbox import deliver_due, enqueue
from bot.parsing import row_id
from bot.services import Services
from storage import queries
from storage.engine import session as open_session


def review_claim(
    services: Services,
    client: WebClient,
    *,
    admin_user_id: str,
    identity_value: str,
    approve: bool,
) -> tuple[list[Block], str, bool]:
    """Apply the verdict; return what the admin sees and whether it replaces the message."""
    if not is_admin(services, admin_user_id):
        return [section("Only Uptake admins can review claims.")], "Not allowed", False
    identity_id = row_id(identity_value)
    if identity_id is None:
        return [section("That button is not valid any more.")], "Invalid", False
    with open_session(services.engine) as session:
        identity = queries.identity(session, identity_id)
        claimer = (
            queries.person(session, identity.person_id)
            if identity is not None and identity.person_id is not None
            else None
        )
    view = decide_claim(services.engine, identity_id, admin_user_id, approve=approve)
    if view is None or claimer is None:
        return (
            [section("This claim was already decided or withdrawn.")],
            "Already decided",
            True,
        )
    verdict = "verified" if approve else "not verified"
    note = f"An Uptake admin {verdict} your claim to GitHub login {code(view.external_id)}." + (
        " Its Copilot usage now shows in `/myusage`." if approve else ""
    )
    key = f"claim-decided:{identity_id}:{claimer.id}:{'approved' if approve else 'denied'}"
    enqueue(
        services.engine,
        key=key,
        kind="claim_decision",
        channel=claimer.slack_user_id,
        text=note,
        person_id=claimer.id,
        now=services.clock(),
    )
    deliver_due(services.engine, client, now=services.clock(), keys=[key])
    return claim_decided_blocks(view.external_id, approve, admin_user_id), note, True
