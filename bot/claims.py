"""GitHub login claims: telling the admins about one, and the service behind their Approve and
Deny buttons."""

from __future__ import annotations

import logging

from slack_sdk import WebClient

from bot.admin import admin_ids, is_admin
from bot.blocks.common import Block, code, section
from bot.blocks.links import claim_conflict_blocks, claim_decided_blocks, claim_review_blocks
from bot.linking import ClaimOutcome, ClaimStatus, decide_claim
from bot.outbox import deliver_due, enqueue
from bot.parsing import row_id
from bot.services import Services
from storage import identities, people
from storage.engine import session as open_session

logger = logging.getLogger(__name__)


def tell_admins_of_claim(
    services: Services, client: WebClient, person_id: int, user_id: str, outcome: ClaimOutcome
) -> None:
    """Ask the admins to review a new claim, or warn them of a login claimed twice.

    Every way of claiming (`/myusage link`, the Home tab's link form) ends here, so every
    claim reaches the admins the same way.
    """
    if outcome.status is ClaimStatus.PENDING and outcome.identity_id is not None:
        _tell_admins(
            services,
            client,
            f"claim:{outcome.identity_id}:{person_id}",
            claim_review_blocks(user_id, outcome.login, outcome.identity_id),
            f"<@{user_id}> claims GitHub login {outcome.login}",
        )
    elif outcome.status is ClaimStatus.CONFLICT:
        _tell_admins(
            services,
            client,
            f"claim-conflict:{outcome.login}:{person_id}",
            claim_conflict_blocks(user_id, outcome.login),
            f"GitHub login {outcome.login} was claimed twice",
        )


def _tell_admins(
    services: Services, client: WebClient, key: str, blocks: list[Block], text: str
) -> None:
    """DM every admin through the outbox, then send straight away (the clock retries)."""
    admins = admin_ids(services)
    if not admins:
        logger.warning("no ADMIN_USER_IDS configured: a claim waits with nobody to review it")
        return
    keys = []
    for admin in admins:
        admin_key = f"{key}:{admin}"
        enqueue(
            services.engine,
            key=admin_key,
            kind="admin",
            channel=admin,
            text=text,
            blocks=blocks,
            now=services.clock(),
        )
        keys.append(admin_key)
    deliver_due(services.engine, client, now=services.clock(), keys=keys)


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
        identity = identities.identity(session, identity_id)
        claimer = (
            people.person(session, identity.person_id)
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
