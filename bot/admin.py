"""The `/uptake-admin` service: operating Uptake. Every action is written to the audit log."""

from __future__ import annotations

import re
from dataclasses import dataclass

from slack_sdk import WebClient

from bot.blocks.admin import (
    admin_help_blocks,
    claims_blocks,
    manager_changed_blocks,
    mapped_blocks,
    not_admin_blocks,
    policy_blocks,
    seats_blocks,
    sources_blocks,
    team_detail_blocks,
    teams_blocks,
    tips_blocks,
)
from bot.blocks.common import Block, section
from bot.collectors.registry import SOURCES
from bot.linking import admin_map, tool_from_word
from bot.people import ensure_person
from bot.privacy import CountRequest, disclose
from bot.services import Services
from bot.teams import TeamRef, descendants, find_team, load_teams, team_people
from bot.tools import COPILOT
from storage import queries
from storage.engine import session as open_session

CHANNEL = re.compile(r"^<#([CG][A-Z0-9]+)(?:\|[^>]*)?>$|^([CG][A-Z0-9]{2,})$")
MENTION = re.compile(r"^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>$|^([UW][A-Z0-9]{2,})$")
SIMPLE = {"help", "claims", "sources", "status", "teams", "policy", "seats", "tips"}


@dataclass(frozen=True, slots=True)
class AdminRequest:
    """What the admin asked for."""

    kind: str  # help | claims | sources | status | teams | team | policy | seats | map | manager
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
    words = text.strip().split()
    lowered = [word.lower() for word in words]
    if not words:
        return AdminRequest("help")
    if len(words) == 1 and lowered[0] in SIMPLE:
        return AdminRequest("sources" if lowered[0] == "status" else lowered[0])
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
    return AdminRequest("help", not_understood=text.strip()[:100])


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
            members = queries.team_member_slack_ids(session, f"slack:{handle}")
        admins += [member for member in members if member not in admins]
    return admins


def answer_admin(
    services: Services, client: WebClient, user_id: str, request: AdminRequest
) -> tuple[list[Block], str]:
    """Answer an admin (and only an admin); every command is audited."""
    if not is_admin(services, user_id):
        return not_admin_blocks(), "Only Uptake admins can use /uptake-admin"
    if request.kind != "help":
        with open_session(services.engine) as session:
            queries.audit(
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
        "sources": _sources,
        "teams": _teams,
        "team": _team,
        "policy": _policy,
        "seats": _seats,
        "tips": _tips,
        "map": _map,
        "manager": _manager,
        "channel": _channel,
    }.get(request.kind)
    if handler is None:
        note = (
            f"Sorry, I didn't understand `{request.not_understood}`."
            if request.not_understood
            else ""
        )
        return admin_help_blocks(note=note), "How to use /uptake-admin"
    return handler(services, client, user_id, request)


def _one_team(services: Services, word: str) -> tuple[list[TeamRef], TeamRef | None]:
    """Every team, and the one `word` names (None unless exactly one matches)."""
    teams = load_teams(services.engine, services.settings.team_sources)
    matches = find_team(teams, word)
    return teams, matches[0] if len(matches) == 1 else None


def _claims(
    services: Services, _client: WebClient, _user: str, _request: AdminRequest
) -> tuple[list[Block], str]:
    with open_session(services.engine) as session:
        pending = [
            (person.slack_user_id, identity.external_id, identity.id or 0)
            for identity, person in queries.pending_claims(session)
        ]
    return claims_blocks(pending), "Pending claims"


def _sources(
    services: Services, _client: WebClient, _user: str, _request: AdminRequest
) -> tuple[list[Block], str]:
    with open_session(services.engine) as session:
        states = {state.source: state for state in queries.sync_states(session)}
        counts = queries.table_counts(session)
    rows = [
        (source, source.enabled(services.settings), states.get(source.name)) for source in SOURCES
    ]
    return sources_blocks(rows, now=services.clock(), counts=counts), "Uptake status"


def _teams(
    services: Services, _client: WebClient, _user: str, _request: AdminRequest
) -> tuple[list[Block], str]:
    teams = load_teams(services.engine, services.settings.team_sources)
    sizes = {team.id: len(team_people(services.engine, teams, team.id)) for team in teams}
    return teams_blocks(teams, sizes), "Teams"


def _team(
    services: Services, _client: WebClient, _user: str, request: AdminRequest
) -> tuple[list[Block], str]:
    teams, team = _one_team(services, request.team)
    if team is None:
        return admin_help_blocks(note=f"No single team matches `{request.team[:80]}`."), "?"
    with open_session(services.engine) as session:
        managers = queries.team_managers(session, team.id)
    children = [t for t in teams if t.parent_id == team.id]
    people = len(team_people(services.engine, teams, team.id))
    scope = len(descendants(teams, team.id)) - 1
    return team_detail_blocks(team, people, managers, children, scope), team.name


def _policy(
    services: Services, _client: WebClient, _user: str, _request: AdminRequest
) -> tuple[list[Block], str]:
    return policy_blocks(services.settings), "Policy"


def _seats(
    services: Services, _client: WebClient, user: str, _request: AdminRequest
) -> tuple[list[Block], str]:
    now = services.clock()
    with open_session(services.engine) as session:
        seats = queries.seats_of(session, COPILOT)
    idle = []
    for seat in seats:
        last = seat.last_activity_at
        days = None if last is None else (now - last).days
        if days is None or days >= 28:
            idle.append((seat.external_id, days, seat.assigned_at))
    idle.sort(key=lambda row: (row[1] is not None, -(row[1] or 0), row[0]))
    with open_session(services.engine) as session:
        # Each person whose seat is listed can see, in their own audit log, that an admin looked.
        owners = queries.owners_of_accounts(session, COPILOT, [login for login, _, _ in idle])
        for login, days in ((login, days) for login, days, _ in idle if login in owners):
            queries.audit(
                session,
                "admin.viewed_person",
                actor=user,
                subject_person_id=owners[login],
                detail={"what": "copilot seat unused", "days": days},
                at=now,
            )
        session.commit()
    return seats_blocks(idle, total=len(seats), now=now), "Unused seats"


def _tips(
    services: Services, _client: WebClient, _user: str, _request: AdminRequest
) -> tuple[list[Block], str]:
    k = services.settings.min_group_size
    with open_session(services.engine) as session:
        by_tip = queries.tip_feedback_by_tip(session)
    rows = []
    for tip_id, reactions in sorted(by_tip.items()):
        # Figures per tip, never per person: a tip sent to fewer than k people shows nothing.
        result = disclose(
            {person for person, _ in reactions},
            k=k,
            counts=[
                CountRequest(name, frozenset(p for p, feedback in reactions if feedback == name))
                for name in ("helpful", "not_for_me", "stop")
            ],
        )
        rows.append((tip_id, len({person for person, _ in reactions}), result))
    return tips_blocks(rows, k), "Tip figures"


def _map(
    services: Services, client: WebClient, user_id: str, request: AdminRequest
) -> tuple[list[Block], str]:
    person = ensure_person(services.engine, client, request.target_user_id, None)
    try:
        view = admin_map(services.engine, request.tool, request.external_id, person.id, user_id)
    except ValueError as exc:
        return admin_help_blocks(note=str(exc)), "Not mapped"
    return mapped_blocks(view, request.target_user_id), "Mapped"


def _channel(
    services: Services, _client: WebClient, user_id: str, request: AdminRequest
) -> tuple[list[Block], str]:
    _teams, team = _one_team(services, request.team)
    if team is None:
        return admin_help_blocks(note=f"No single team matches `{request.team[:80]}`."), "?"
    with open_session(services.engine) as session:
        queries.set_digest_subscription(
            session, team.id, request.target_user_id, active=request.add
        )
        session.commit()
    verb = "will get" if request.add else "will no longer get"
    text = f"<#{request.target_user_id}> {verb} the weekly digest for `{team.slug}`."
    return [section(text)], text


def _manager(
    services: Services, client: WebClient, user_id: str, request: AdminRequest
) -> tuple[list[Block], str]:
    _teams, team = _one_team(services, request.team)
    if team is None:
        return admin_help_blocks(note=f"No single team matches `{request.team[:80]}`."), "?"
    person = ensure_person(services.engine, client, request.target_user_id, None)
    with open_session(services.engine) as session:
        changed = queries.set_manager(session, team.id, person.id, manager=request.add)
        queries.audit(
            session,
            "team.manager_added" if request.add else "team.manager_removed",
            actor=user_id,
            subject_person_id=person.id,
            detail={"team": team.slug},
            at=services.clock(),
        )
        session.commit()
    return (
        manager_changed_blocks(team, request.target_user_id, request.add, changed),
        "Managers updated",
    )
