"""Block Kit for linking accounts: `/myusage link|links|unlink` and the admins' claim reviews."""

from __future__ import annotations

from collections.abc import Sequence

from bot.blocks.common import Block, code, context, header, section
from bot.blocks.ids import APPROVE_CLAIM, DENY_CLAIM
from bot.linking import ClaimOutcome, ClaimStatus, LinkView, describe_link
from bot.tools import tool_label

MAX_LISTED = 40


def links_blocks(views: Sequence[LinkView]) -> list[Block]:
    """The caller's linked accounts."""
    if not views:
        body = (
            "No accounts are linked to you yet. Claude Code, Cursor and OpenAI accounts link "
            "automatically by your Slack email; for GitHub Copilot use "
            "`/myusage link github YOUR-LOGIN`."
        )
    else:
        lines = [f"• {describe_link(view)}" for view in views[:MAX_LISTED]]
        if len(views) > MAX_LISTED:
            lines.append(f"…and {len(views) - MAX_LISTED} more")
        body = "\n".join(lines)
    return [
        header("Your linked accounts"),
        section(body),
        context("`/myusage unlink TOOL` removes a link · only you can see this"),
    ]


def claim_result_blocks(outcome: ClaimOutcome) -> list[Block]:
    """What the claimer is told."""
    login = code(outcome.login)
    text = {
        ClaimStatus.PENDING: f"Thanks: your claim to GitHub login {login} is waiting for an "
        "Uptake admin to verify it. Until then it shows nothing, so nobody can see someone "
        "else's usage by claiming their login.",
        ClaimStatus.ALREADY_PENDING: f"Your claim to {login} is already waiting for an admin.",
        ClaimStatus.ALREADY_LINKED: f"{login} is already linked to you.",
        ClaimStatus.CONFLICT: f"{login} is already linked to, or claimed by, someone else, so "
        "it was not linked to you. The admins have been told and will sort it out.",
        ClaimStatus.INVALID: f"{login} is not a GitHub login (letters, digits and single "
        "hyphens, up to 39 characters). Try `/myusage link github YOUR-LOGIN`.",
    }[outcome.status]
    return [section(text)]


def unlink_blocks(tool: str, removed: Sequence[str]) -> list[Block]:
    """What the person is told after `/myusage unlink TOOL`."""
    if not removed:
        return [section(f"You have no {tool_label(tool)} account linked.")]
    return [
        section(
            f"Unlinked your {tool_label(tool)} account(s). They will not be linked to you "
            "automatically again; an admin can link them back if you ask."
        )
    ]


def claim_review_blocks(claimer_user_id: str, login: str, identity_id: int) -> list[Block]:
    """The message to admins asking them to verify a claim, with Approve and Deny."""
    value = str(identity_id)
    return [
        section(
            f"<@{claimer_user_id}> claims GitHub login {code(login)}. Approve only if you have "
            "checked it is theirs: once verified, its Copilot usage shows in their `/myusage`."
        ),
        {
            "type": "actions",
            "block_id": f"claim-{identity_id}",
            "elements": [
                {
                    "type": "button",
                    "action_id": APPROVE_CLAIM,
                    "style": "primary",
                    "text": {"type": "plain_text", "text": "Approve"},
                    "value": value,
                },
                {
                    "type": "button",
                    "action_id": DENY_CLAIM,
                    "style": "danger",
                    "text": {"type": "plain_text", "text": "Deny"},
                    "value": value,
                },
            ],
        },
    ]


def claim_conflict_blocks(claimer_user_id: str, login: str) -> list[Block]:
    """The message to admins when a login is claimed twice."""
    return [
        section(
            f":warning: <@{claimer_user_id}> tried to claim GitHub login {code(login)}, which is "
            "already linked to or claimed by someone else. Nothing changed. Check with both "
            "people, then map it with `/uptake-admin map github LOGIN @person`."
        )
    ]


def claim_decided_blocks(login: str, approved: bool, admin_user_id: str) -> list[Block]:
    """Replaces the review message once an admin decided."""
    verdict = "approved" if approved else "denied"
    return [section(f"GitHub login {code(login)}: claim {verdict} by <@{admin_user_id}>.")]
