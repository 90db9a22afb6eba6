"""Block Kit for `/myusage privacy`, `export` and `forget`."""

from __future__ import annotations

from bot.blocks.common import Block, context, header, section
from bot.blocks.ids import FORGET_CANCEL, FORGET_CONFIRM
from bot.personal.forget import FORGET_EXPLANATION
from bot.personal.privacy import COMMAND_LINE_ACTOR, LOOKED_ACTION, PrivacySummary

MAX_AUDIT_LINES = 20
ACTIONS = {
    "identity.claimed": "you claimed an account",
    "identity.claim_approved": "an admin approved your account claim",
    "identity.claim_denied": "an admin denied your account claim",
    "identity.claim_conflict": "you claimed an account someone else holds",
    "identity.mapped": "an admin linked an account to you",
    "identity.unlinked": "you unlinked an account",
    "person.exported": "you exported your data",
    LOOKED_ACTION: "an admin looked at your data",
}
# Actors that are not Slack users: who they are, in words.
ACTORS = {COMMAND_LINE_ACTOR: "command line"}


def privacy_blocks(summary: PrivacySummary) -> list[Block]:
    """What is stored about the caller, who sees what, and every audit entry about them."""
    span = (
        f"{summary.first_usage_day:%d %b %Y} to {summary.last_usage_day:%d %b %Y}"
        if summary.first_usage_day and summary.last_usage_day
        else "none yet"
    )
    stored = (
        "*What Uptake stores about you*\n"
        f"• {summary.identities} linked tool account(s)\n"
        + (
            f"• {summary.pending_claims} claim(s) waiting for an admin: nothing of those "
            "accounts is shown until one is approved\n"
            if summary.pending_claims
            else ""
        )
        + f"• {summary.usage_rows} daily usage row(s), {span}\n"
        f"• {summary.teams} team membership(s)\n"
        f"• tips: {'on' if summary.tips_enabled else 'off'}\n"
        "• your 12-week chart: one picture uploaded to Slack, shared with no channel and shown "
        "only inside your own `/myusage`; a newer one replaces it, and forgetting deletes it"
    )
    lines = []
    for entry in summary.audit_entries[:MAX_AUDIT_LINES]:
        actor = entry.actor_slack_user_id
        who = ACTORS.get(actor, f"<@{actor}>") if actor else "Uptake"
        what = ACTIONS.get(entry.action, entry.action.replace("_", " ").replace(".", ": "))
        lines.append(f"• {entry.at:%Y-%m-%d %H:%M} UTC — {what} ({who})")
    if len(summary.audit_entries) > MAX_AUDIT_LINES:
        lines.append("…and more: `/myusage export` has every entry.")
    audit = "*Audit log about you*\n" + ("\n".join(lines) if lines else "Nothing yet.")
    return [
        header("Your privacy"),
        section(stored),
        section("*Who sees what*\n" + "\n".join(f"• {line}" for line in summary.who_sees_what)),
        section(audit),
        context("`/myusage export` sends you all of it as a file · `/myusage forget` deletes it"),
    ]


def export_sent_blocks() -> list[Block]:
    """After the export was uploaded to the caller's DM."""
    return [
        section(
            "I've sent everything Uptake stores about you as a JSON file in our direct "
            "messages. Only you can see it."
        )
    ]


def forget_confirm_blocks() -> list[Block]:
    """Asks the caller to confirm deleting their data."""
    return [
        section(FORGET_EXPLANATION),
        {
            "type": "actions",
            "block_id": "forget",
            "elements": [
                {
                    "type": "button",
                    "action_id": FORGET_CONFIRM,
                    "style": "danger",
                    "text": {"type": "plain_text", "text": "Delete my data"},
                    "value": "forget",
                    "confirm": {
                        "title": {"type": "plain_text", "text": "Delete your data?"},
                        "text": {"type": "plain_text", "text": "This cannot be undone."},
                        "confirm": {"type": "plain_text", "text": "Delete"},
                        "deny": {"type": "plain_text", "text": "Keep it"},
                        "style": "danger",
                    },
                },
                {
                    "type": "button",
                    "action_id": FORGET_CANCEL,
                    "text": {"type": "plain_text", "text": "Cancel"},
                    "value": "cancel",
                },
            ],
        },
    ]


def forgotten_blocks(rows: int) -> list[Block]:
    """After forgetting."""
    return [section(f"Done: Uptake deleted everything it stored about you ({rows} rows).")]


def forget_cancelled_blocks() -> list[Block]:
    """After cancelling."""
    return [section("Nothing was deleted.")]
