"""The `/uptake-admin` service: operating Uptake. Every action is written to the audit log."""

from __future__ import annotations

import re
from dataclasses import dataclass

from slack_sdk import WebClient

from bot import admin_reports, admin_teams
from bot.blocks.admin import (
    admin_help_blocks,
    claims_blocks,
    mapped_blocks,
    not_admin_blocks,
)
from bot.blocks.common import Block, code, escape
from bot.linking import admin_map, tool_from_word
from bot.parsing import command_words, echo
from bot.people import ensure_person
from bot.services import Services
from bot.teams import (
    Access,
    TeamRef,
)
from storage import audit, identities, memberships
from storage.engine import session as open_session

CHANNEL = re.compile(r"^<#([CG][A-Z0-9]+)(?:\|[^>]*)?>$|^([CG][A-Z0-9]{2,})$")
MENTION = re.compile(r"^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>$|^([UW][A-Z0-9]{2,})$")
SIMPLE = {"help", "claims", "sources", "status", "teams", "policy", "seats", "tips", "outcomes"}
#: Every first word `/uptake-admin` understands; the parser refuses any other, and the manifest's
#: usage hint must list them all (tests/test_manifest.py checks).
SUBCOMMANDS = (
    *sorted(SIMPLE),
    "team",
    "map",
    "manager",
    "digest-channel",
    "no-digest-channel",
)
#: `teams allow|deny TEAM`: whether a Slack user group or GitHub team is an Uptake team.
TEAM_DECISIONS = ("allow", "deny")


@dataclass(frozen=True, slots=True)
class AdminRequest:
    """What the admin asked for."""

    # help | claims | sources | status | teams | team | policy | seats | map | manager | channel
    # | allow_team (`add` False: deny)
    kind: str
    tool: str = ""
    external_id: str = ""
    target_user_id: str = ""
    team: str = ""
    add: bool = True
    not_understood: str = ""


def _mention(word: str) -> str | None:
    match = MENTION.match(word)
    return (match.group(1) or match.group(2)) if match else None


def parse_admin(text: str) -> AdminRequest:
    """Read `/uptake-admin` arguments; anything not understood gets the help text."""
    words = command_words(text)
    if words is None:
        return AdminRequest("help", not_understood=echo(text))
    lowered = [word.lower() for word in words]
    if not words:
        return AdminRequest("help")
    if lowered[0] not in SUBCOMMANDS:
        return AdminRequest("help", not_understood=echo(text))
    if len(words) == 1 and lowered[0] in SIMPLE:
        return AdminRequest("sources" if lowered[0] == "status" else lowered[0])
    if len(words) == 3 and lowered[0] == "teams" and lowered[1] in TEAM_DECISIONS:
        return AdminRequest("allow_team", team=words[2], add=lowered[1] == "allow")
    if len(words) == 2 and lowered[0] == "team":
        return AdminRequest("team", team=words[1])
    if len(words) == 4 and lowered[0] == "map" and tool_from_word(lowered[1]):
        target = _mention(words[3])
        if target:
            return AdminRequest(
                "map",
                tool=tool_from_word(lowered[1]) or "",
                external_id=words[2],
                target_user_id=target,
            )
    if len(words) == 3 and lowered[0] in {"digest-channel", "no-digest-channel"}:
        channel = CHANNEL.match(words[2])
        if channel:
            return AdminRequest(
                "channel",
                team=words[1],
                target_user_id=channel.group(1) or channel.group(2),
                add=lowered[0] == "digest-channel",
            )
    if len(words) == 4 and lowered[0] == "manager" and lowered[1] in {"add", "remove"}:
        target = _mention(words[3])
        if target:
            return AdminRequest(
                "manager", team=words[2], target_user_id=target, add=lowered[1] == "add"
            )
    return AdminRequest("help", not_understood=echo(text))


def is_admin(services: Services, user_id: str) -> bool:
    """True for the users in ADMIN_USER_IDS and the members of ADMIN_USER_GROUP."""
    return user_id in admin_ids(services)


def admin_ids(services: Services) -> list[str]:
    """Every admin's Slack user id: ADMIN_USER_IDS, then ADMIN_USER_GROUP's members."""
    settings = services.settings
    admins = list(settings.admin_user_ids)
    if settings.admin_user_group:
        handle = settings.admin_user_group.strip().lstrip("@").lower()
        with open_session(services.engine) as session:
            members = memberships.team_member_slack_ids(session, f"slack:{handle}")
        admins += [member for member in members if member not in admins]
    return admins


TEAM_LOOK_ACTION = "admin.viewed_team"


def audit_team_look(
    services: Services, user_id: str, access: Access, team: TeamRef, what: str
) -> None:
    """Audit a look at a team the caller may see only because they are an admin."""
    if not access.is_admin or team.id in access.member_of or team.id in access.manages:
        return
    with open_session(services.engine) as session:
        audit.audit(
            session,
            TEAM_LOOK_ACTION,
            actor=user_id,
            detail={"team": team.slug, "what": what},
            at=services.clock(),
        )
        session.commit()


def answer_admin(
    services: Services, client: WebClient, user_id: str, request: AdminRequest
) -> tuple[list[Block], str]:
    """Answer an admin (and only an admin); every command is audited."""
    if not is_admin(services, user_id):
        return not_admin_blocks(), "Only Uptake admins can use /uptake-admin"
    if request.kind != "help":
        with open_session(services.engine) as session:
            audit.audit(
                session,
                f"admin.{request.kind}",
                actor=user_id,
                detail={"team": request.team, "tool": request.tool}
                if request.team or request.tool
                else {},
                at=services.clock(),
            )
            session.commit()
    handler = {
        "claims": _claims,
        "sources": admin_reports.sources_report,
        "teams": admin_teams.teams_list,
        "team": admin_teams.team_detail,
        "policy": admin_reports.policy_report,
        "seats": admin_reports.seats_report,
        "tips": admin_reports.tips_report,
        "outcomes": admin_reports.outcomes_report,
        "map": _map,
        "manager": admin_teams.manager_change,
        "channel": admin_teams.digest_channel,
        "allow_team": admin_teams.allow_team,
    }.get(request.kind)
    if handler is None:
        note = (
            f"Sorry, I didn't understand {code(request.not_understood)}."
            if request.not_understood
            else ""
        )
        return admin_help_blocks(note=note), "How to use /uptake-admin"
    return handler(services, client, user_id, request)


def _claims(
    services: Services, _client: WebClient, _user: str, _request: AdminRequest
) -> tuple[list[Block], str]:
    with open_session(services.engine) as session:
        pending = [
            (person.slack_user_id, identity.external_id, identity.id or 0)
            for identity, person in identities.pending_claims(session)
        ]
    return claims_blocks(pending), "Pending claims"


def _map(
    services: Services, client: WebClient, user_id: str, request: AdminRequest
) -> tuple[list[Block], str]:
    person = ensure_person(services.engine, client, request.target_user_id, None)
    try:
        view = admin_map(services.engine, request.tool, request.external_id, person.id, user_id)
    except ValueError as exc:
        return admin_help_blocks(note=escape(str(exc))), "Not mapped"
    return mapped_blocks(view, request.target_user_id), "Mapped"
