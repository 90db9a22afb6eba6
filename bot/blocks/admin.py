"""Block Kit for `/uptake-admin`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from bot.blocks.common import Block, code, context, header, section
from bot.blocks.ids import ADMIN_TEAM_ALLOW, ADMIN_TEAM_DENY
from bot.blocks.links import claim_review_blocks
from bot.linking import LinkView
from bot.tools import tool_label

if TYPE_CHECKING:
    from bot.collectors.registry import SourceInfo
    from bot.settings import Settings
    from bot.teams import TeamRef
    from storage.models import SyncState

ADMIN_HELP = """\
*/uptake-admin* operates Uptake. Only admins (`ADMIN_USER_IDS`) can use it, and every action \
is written to the audit log (the people concerned can read the entries about them).

• `/uptake-admin status` — sources, last syncs, errors and counts
• `/uptake-admin teams` — every team and its size · `/uptake-admin team TEAM` — one team
• `/uptake-admin teams allow|deny TEAM` — make a Slack user group or GitHub team an Uptake team, \
or stop. They are not teams until an admin allows them: any employee can create a user group, \
and two groups that differ by one person would give away that person's figures. Org-file teams \
are always teams.
• `/uptake-admin manager add|remove TEAM @person` — who manages a team
• `/uptake-admin digest-channel TEAM #channel` — also post a team's weekly digest there \
(`no-digest-channel` stops it; invite Uptake to the channel first)
• `/uptake-admin claims` — GitHub login claims waiting for review, with Approve/Deny
• `/uptake-admin map github LOGIN @person` — link an account to a person \
(also `claude_code`, `cursor`, `openai` with the vendor's id or email)
• `/uptake-admin seats` — Copilot seats assigned but unused for 28 days (audited)
• `/uptake-admin tips` — per tip: sent, helpful, not for me, stopped (never per person)
• `/uptake-admin outcomes` — GitHub's organisation-only Copilot figures (pull requests created \
and merged by Copilot, time to merge), as GitHub reports them
• `/uptake-admin policy` — the privacy minimum, retention and tier thresholds in force
• `/uptake-admin help` — this help\
"""
MAX_CLAIMS_SHOWN = 15
MAX_TEAMS_SHOWN = 200
MAX_PENDING_SHOWN = 50
PENDING_TEAMS_HINT = (
    "Slack user groups and GitHub teams count only once an admin allows them: anyone can create "
    "one, and two that differ by one person would give away that person's figures. Allow only "
    "groups that stand for a real team: `/uptake-admin teams allow TEAM` (`teams deny TEAM` "
    "undoes it)."
)
MAX_SEATS_SHOWN = 200
MAX_MENU_OPTIONS = 100
MAX_OPTION_TEXT = 75
MAX_OPTION_VALUE = 150


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
            f"Linked {tool_label(view.tool)} account {code(view.external_id)} "
            f"to <@{target_user_id}> (verified). This is in the audit log they can read."
        )
    ]


def sources_blocks(
    rows: Sequence[tuple[SourceInfo, bool, SyncState | None]],
    *,
    now: dt.datetime,
    counts: dict[str, int] | None = None,
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
    blocks = [header("Usage sources"), section("\n".join(lines))]
    if counts:
        blocks.append(context(" · ".join(f"{name}: {value:,}" for name, value in counts.items())))
    return blocks


def teams_blocks(
    teams: Sequence[TeamRef],
    sizes: dict[int, int],
    pending: Sequence[TeamRef] = (),
    deniable: Sequence[TeamRef] = (),
) -> list[Block]:
    """Every team, then the synced groups waiting to be allowed, with source and size, and a
    menu to allow a waiting group or stop counting an allowed one (`deniable`)."""
    if not teams and not pending:
        return [section("No teams yet: `uptake import org FILE`, Slack user groups or GitHub.")]

    def lines(shown: Sequence[TeamRef], limit: int) -> list[str]:
        found = [
            f"• `{team.slug}` — {team.name} ({team.source}, {sizes.get(team.id, 0)} people)"
            for team in shown[:limit]
        ]
        return found + ([f"…and {len(shown) - limit} more"] if len(shown) > limit else [])

    blocks = [header(f"Teams ({len(teams)})"), *_chunked_sections(lines(teams, MAX_TEAMS_SHOWN))]
    if pending:
        blocks += [
            header(f"Waiting for an admin to allow them ({len(pending)})"),
            section(PENDING_TEAMS_HINT),
            *_chunked_sections(lines(pending, MAX_PENDING_SHOWN)),
        ]
    menus = [
        menu
        for menu in (
            _team_menu(ADMIN_TEAM_ALLOW, "Allow a team…", pending, allow=True),
            _team_menu(ADMIN_TEAM_DENY, "Stop counting a team…", deniable, allow=False),
        )
        if menu is not None
    ]
    if menus:
        blocks.append({"type": "actions", "block_id": "admin-teams", "elements": menus})
    return blocks


def _team_menu(
    action_id: str, placeholder: str, teams: Sequence[TeamRef], *, allow: bool
) -> dict[str, Any] | None:
    """A menu of teams (at most 100) that allows or denies the one chosen, after a confirmation."""
    options = [
        {
            "text": {"type": "plain_text", "text": f"{team.name} ({team.slug})"[:MAX_OPTION_TEXT]},
            "value": team.slug,
        }
        for team in teams
        if len(team.slug) <= MAX_OPTION_VALUE
    ][:MAX_MENU_OPTIONS]
    if not options:
        return None
    confirm = (
        "Its members, its managers and admins will see its figures, and its managers get its "
        "digest. Allow it only if it stands for a real team."
        if allow
        else "No figures or digests about it until an admin allows it again."
    )
    return {
        "type": "static_select",
        "action_id": action_id,
        "placeholder": {"type": "plain_text", "text": placeholder},
        "options": options,
        "confirm": {
            "title": {"type": "plain_text", "text": "Allow this team?" if allow else "Stop it?"},
            "text": {"type": "plain_text", "text": confirm},
            "confirm": {"type": "plain_text", "text": "Allow" if allow else "Stop counting it"},
            "deny": {"type": "plain_text", "text": "Cancel"},
        },
    }


def team_allowed_blocks(team: TeamRef, allowed: bool, changed: bool) -> list[Block]:
    """Confirms that a synced group is (or is no longer) an Uptake team."""
    if not changed:
        state = "is already a team" if allowed else "is not a team"
        return [section(f"`{team.slug}` {state}; nothing changed.")]
    if allowed:
        text = (
            f"`{team.slug}` is now a team: its members, its managers and admins can see its "
            "figures, and its managers get its digest. Audited."
        )
    else:
        text = (
            f"`{team.slug}` is no longer a team: no figures or digests about it until an admin "
            "allows it again. Audited."
        )
    return [section(text)]


def team_detail_blocks(
    team: TeamRef, people: int, managers: Sequence[str], children: Sequence[TeamRef], scope: int
) -> list[Block]:
    """One team: size, managers, sub-teams."""
    lines = [
        f"*Source:* {team.source} · *People (with sub-teams):* {people}",
        "*Managers:* " + (", ".join(f"<@{m}>" for m in managers) if managers else "none"),
        "*Sub-teams:* "
        + (", ".join(f"`{c.slug}`" for c in children[:30]) if children else "none")
        + (f" ({scope} in all below it)" if scope > len(children) else ""),
    ]
    return [header(team.name), section("\n".join(lines))]


def manager_changed_blocks(team: TeamRef, user_id: str, added: bool, changed: bool) -> list[Block]:
    """Confirms a manager change."""
    if not changed:
        state = "already manages" if added else "did not manage"
        return [section(f"<@{user_id}> {state} `{team.slug}`; nothing changed.")]
    verb = "now manages" if added else "no longer manages"
    return [section(f"<@{user_id}> {verb} `{team.slug}` (and the teams under it). Audited.")]


def policy_blocks(settings: Settings) -> list[Block]:
    """The privacy and adoption policy in force."""
    light, regular = settings.tier_light_max_days, settings.tier_regular_max_days
    return [
        header("Policy"),
        section(
            f"*Minimum group size (k):* {settings.min_group_size} — nothing is shown about a team "
            "of fewer people, nor a mean over fewer.\n"
            f"*Noise (ε per count):* {settings.disclosure_epsilon:g} — every team count is "
            "released once per team and period with cell-key noise, the same for the same people "
            "whoever asks, so no answers combine to give away one person (docs/privacy.md).\n"
            f"*Retention:* daily usage older than {settings.retention_days} days is deleted.\n"
            f"*Tiers* (trailing 28 days): inactive 0 · light 1–{light} · "
            f"regular {light + 1}–{regular} · power {regular + 1}+ active days.\n"
            f"*Team sources:* {', '.join(settings.team_sources)}"
        ),
    ]


def seats_blocks(logins: Sequence[str], *, total: int, idle_days: int) -> list[Block]:
    """Copilot seats unused for `idle_days`+ days, by login alphabetically: no per-seat counts,
    so the list ranks nobody (audited)."""
    if not logins:
        return [section(f"All {total} Copilot seats were used in the last {idle_days} days.")]
    lines = [f"• seat `{login}`: unused {idle_days}+ days" for login in logins[:MAX_SEATS_SHOWN]]
    if len(logins) > MAX_SEATS_SHOWN:
        lines.append(f"…and {len(logins) - MAX_SEATS_SHOWN} more")
    return [
        header(f"Unused Copilot seats: {len(logins)} of {total}"),
        *_chunked_sections(lines),
        context("Seats only, for licence housekeeping; this look is in the audit log."),
    ]


def _chunked_sections(lines: Sequence[str], limit: int = 2900) -> list[Block]:
    blocks, current = [], ""
    for line in lines:
        if len(current) + len(line) + 1 > limit:
            blocks.append(section(current))
            current = ""
        current = f"{current}\n{line}" if current else line
    if current:
        blocks.append(section(current))
    return blocks[:40]


def tips_blocks(rows: Sequence[tuple[str, int, dict[str, int] | None]], k: int) -> list[Block]:
    """Tip figures per tip, as released by the disclosure layer."""
    if not rows:
        return [section("No tips have been sent yet.")]
    lines = []
    for tip_id, sent, counts in rows[:MAX_TEAMS_SHOWN]:
        if counts is None:
            lines.append(f"• `{tip_id}`: sent to fewer than {k} people, figures hidden")
            continue
        lines.append(
            f"• `{tip_id}`: sent {sent} · helpful ~{counts['helpful']} · not for me "
            f"~{counts['not_for_me']} · stopped ~{counts['stop']}"
        )
    return [
        header("Tip figures"),
        *_chunked_sections(lines),
        context(
            f"Counts per tip only, with a little noise (~); nothing for fewer than {k} people."
        ),
    ]
