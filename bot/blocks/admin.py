"""Block Kit for `/uptake-admin`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING

from bot.blocks.common import Block, context, header, section
from bot.blocks.links import claim_review_blocks
from bot.linking import LinkView
from bot.tools import tool_label

if TYPE_CHECKING:
    from bot.collectors.registry import SourceInfo
    from storage.models import SyncState

ADMIN_HELP = """\
*/uptake-admin* operates Uptake. Only admins (`ADMIN_USER_IDS`) can use it, and every action \
is written to the audit log that the people concerned can read.

• `/uptake-admin sources` — which usage sources are on, their last sync and errors
• `/uptake-admin claims` — GitHub login claims waiting for review, with Approve/Deny
• `/uptake-admin map github LOGIN @person` — link an account to a person \
(also `claude_code`, `cursor`, `openai` with the vendor's id or email)
• `/uptake-admin help` — this help\
"""
MAX_CLAIMS_SHOWN = 15


def admin_help_blocks(*, note: str = "") -> list[Block]:
    """The admin help text."""
    return ([section(note)] if note else []) + [section(ADMIN_HELP)]


def not_admin_blocks() -> list[Block]:
    """For anyone who is not an admin."""
    return [
        section("Only Uptake admins can use `/uptake-admin`. For your own figures try `/myusage`.")
    ]


def claims_blocks(pending: Sequence[tuple[str, str, int]]) -> list[Block]:
    """Pending claims (claimer, login, identity id), each with Approve and Deny."""
    if not pending:
        return [section("No claims are waiting for review.")]
    blocks: list[Block] = [header(f"Claims waiting for review ({len(pending)})")]
    for claimer, login, identity_id in pending[:MAX_CLAIMS_SHOWN]:
        blocks += claim_review_blocks(claimer, login, identity_id)
    if len(pending) > MAX_CLAIMS_SHOWN:
        blocks.append(context(f"{len(pending) - MAX_CLAIMS_SHOWN} more after these."))
    return blocks


def mapped_blocks(view: LinkView, target_user_id: str) -> list[Block]:
    """Confirms an admin mapping."""
    return [
        section(
            f"Linked {tool_label(view.tool)} account `{view.external_id}` to <@{target_user_id}> "
            "(verified). This is in the audit log they can read."
        )
    ]


def sources_blocks(
    rows: Sequence[tuple[SourceInfo, bool, SyncState | None]], *, now: dt.datetime
) -> list[Block]:
    """Each source: on or off, last success, last complete day, last error."""
    lines = []
    for source, enabled, state in rows:
        if not enabled:
            lines.append(f"• *{source.label}*: off (set {source.needs})")
            continue
        if state is None or state.last_success_at is None:
            status = "on, never synced"
        else:
            hours = int((now - state.last_success_at).total_seconds() // 3600)
            status = f"on, last sync {hours}h ago"
            if state.last_complete_day:
                status += f", complete to {state.last_complete_day:%Y-%m-%d}"
        if (
            state is not None
            and state.last_error_at is not None
            and (state.last_success_at is None or state.last_error_at >= state.last_success_at)
        ):
            status += f"\n   :warning: {state.last_error or 'error'}"
        lines.append(f"• *{source.label}*: {status}")
    return [header("Usage sources"), section("\n".join(lines))]
