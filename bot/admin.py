"""The `/uptake-admin` service: operating Uptake. Every action is written to the audit log."""

from __future__ import annotations

import datetime as dt
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
    team_allowed_blocks,
    team_detail_blocks,
    teams_blocks,
    tips_blocks,
)
from bot.blocks.common import Block, code, escape, section
from bot.blocks.org_outcomes import org_outcomes_blocks
from bot.collectors.registry import SOURCES
from bot.figures.disclosure import Rules, group_counts
from bot.figures.noise import new_record_key
from bot.figures.releases import SEAT_IDLE_DAYS
from bot.linking import admin_map, tool_from_word
from bot.orgwide.outcomes import org_outcomes
from bot.parsing import command_words, echo
from bot.people import ensure_person
from bot.personal.privacy import LOOKED_ACTION
from bot.services import Services
from bot.teams import (
    Access,
    TeamRef,
    descendants,
    find_team,
    load_teams,
    pending_teams,
    team_people,
)
from bot.tools import COPILOT
from storage import queries
from storage import releases as release_store
from storage.engine import session as open_session
from storage.identities import owners_of_accounts
from storage.teams import ORG_FILE_SOURCE, set_team_allowed

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
            members = queries.team_member_slack_ids(session, f"slack:{handle}")
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
        queries.audit(
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
        "outcomes": _org_outcomes,
        "map": _map,
        "manager": _manager,
        "channel": _channel,
        "allow_team": _allow_team,
    }.get(request.kind)
    if handler is None:
        note = (
            f"Sorry, I didn't understand {code(request.not_understood)}."
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


def _org_outcomes(
    services: Services, _client: WebClient, _user: str, _request: AdminRequest
) -> tuple[list[Block], str]:
    k = services.settings.min_group_size
    figures = org_outcomes(services.engine, today=services.clock().date(), k=k)
    return org_outcomes_blocks(figures, k=k), "GitHub organisation outcomes"


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
    pending = pending_teams(services.engine, services.settings.team_sources)
    sizes = {team.id: len(team_people(services.engine, teams, team.id)) for team in teams}
    sizes |= {team.id: len(team_people(services.engine, pending, team.id)) for team in pending}
    synced = [team for team in teams if team.source != ORG_FILE_SOURCE]
    return teams_blocks(teams, sizes, pending, deniable=synced), "Teams"


def _allow_team(
    services: Services, _client: WebClient, user_id: str, request: AdminRequest
) -> tuple[list[Block], str]:
    sources = services.settings.team_sources
    candidates = (
        load_teams(services.engine, sources)
        + pending_teams(services.engine, sources)
        + pending_teams(services.engine, sources, denied=True)
    )
    matches = find_team(candidates, request.team)
    if len(matches) != 1:
        return admin_help_blocks(note=f"No single team matches {code(request.team, 80)}."), "?"
    team = matches[0]
    if team.source == ORG_FILE_SOURCE and not request.add:
        text = f"`{team.slug}` comes from the org file, so it is a team: remove it from the file."
        return [section(text)], text
    with open_session(services.engine) as session:
        changed = set_team_allowed(session, team.id, allowed=request.add)
        queries.audit(
            session,
            "team.allowed" if request.add else "team.denied",
            actor=user_id,
            detail={"team": team.slug, "source": team.source, "changed": changed},
            at=services.clock(),
        )
        session.commit()
    return (
        team_allowed_blocks(team, request.add, changed),
        "Team allowed" if request.add else "Team not allowed",
    )


def _team(
    services: Services, _client: WebClient, _user: str, request: AdminRequest
) -> tuple[list[Block], str]:
    teams, team = _one_team(services, request.team)
    if team is None:
        return admin_help_blocks(note=f"No single team matches {code(request.team, 80)}."), "?"
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
    idle_since = now - dt.timedelta(days=SEAT_IDLE_DAYS)
    with open_session(services.engine) as session:
        seats = queries.seats_of(session, COPILOT)
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
                queries.audit(
                    session,
                    LOOKED_ACTION,
                    actor=user,
                    subject_person_id=owners[login],
                    detail={"what": f"Copilot seat unused {SEAT_IDLE_DAYS}+ days"},
                    at=now,
                )
        session.commit()
    return seats_blocks(idle, total=len(seats), idle_days=SEAT_IDLE_DAYS), "Unused seats"


def _tips(
    services: Services, _client: WebClient, _user: str, _request: AdminRequest
) -> tuple[list[Block], str]:
    rules = Rules(k=services.settings.min_group_size, epsilon=services.settings.disclosure_epsilon)
    with open_session(services.engine) as session:
        by_tip = queries.tip_feedback_by_tip(session)
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


def _map(
    services: Services, client: WebClient, user_id: str, request: AdminRequest
) -> tuple[list[Block], str]:
    person = ensure_person(services.engine, client, request.target_user_id, None)
    try:
        view = admin_map(services.engine, request.tool, request.external_id, person.id, user_id)
    except ValueError as exc:
        return admin_help_blocks(note=escape(str(exc))), "Not mapped"
    return mapped_blocks(view, request.target_user_id), "Mapped"


def _channel(
    services: Services, _client: WebClient, user_id: str, request: AdminRequest
) -> tuple[list[Block], str]:
    _teams, team = _one_team(services, request.team)
    if team is None:
        return admin_help_blocks(note=f"No single team matches {code(request.team, 80)}."), "?"
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
        return admin_help_blocks(note=f"No single team matches {code(request.team, 80)}."), "?"
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
