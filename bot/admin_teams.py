"""`/uptake-admin` on teams: list, allow or deny, show one, set managers and digest channels."""

from __future__ import annotations

from typing import TYPE_CHECKING

from slack_sdk import WebClient

from bot.blocks.admin import (
    admin_help_blocks,
    manager_changed_blocks,
    team_allowed_blocks,
    team_detail_blocks,
    teams_blocks,
)
from bot.blocks.common import Block, code, section
from bot.people import ensure_person
from bot.services import Services
from bot.teams import (
    TeamRef,
    descendants,
    find_team,
    load_teams,
    pending_teams,
    team_people,
)
from storage import audit, memberships, subscriptions
from storage.engine import session as open_session
from storage.teams import ORG_FILE_SOURCE, set_team_allowed

if TYPE_CHECKING:
    from bot.admin import AdminRequest


def one_team(services: Services, word: str) -> tuple[list[TeamRef], TeamRef | None]:
    """Every team, and the one `word` names (None unless exactly one matches)."""
    teams = load_teams(services.engine, services.settings.team_sources)
    matches = find_team(teams, word)
    return teams, matches[0] if len(matches) == 1 else None


def _no_single_team(word: str) -> tuple[list[Block], str]:
    return admin_help_blocks(note=f"No single team matches {code(word, 80)}."), "?"


def teams_list(
    services: Services, _client: WebClient, _user: str, _request: AdminRequest
) -> tuple[list[Block], str]:
    teams = load_teams(services.engine, services.settings.team_sources)
    pending = pending_teams(services.engine, services.settings.team_sources)
    sizes = {team.id: len(team_people(services.engine, teams, team.id)) for team in teams}
    sizes |= {team.id: len(team_people(services.engine, pending, team.id)) for team in pending}
    synced = [team for team in teams if team.source != ORG_FILE_SOURCE]
    return teams_blocks(teams, sizes, pending, deniable=synced), "Teams"


def allow_team(
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
        return _no_single_team(request.team)
    team = matches[0]
    if team.source == ORG_FILE_SOURCE and not request.add:
        text = f"`{team.slug}` comes from the org file, so it is a team: remove it from the file."
        return [section(text)], text
    with open_session(services.engine) as session:
        changed = set_team_allowed(session, team.id, allowed=request.add)
        audit.audit(
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


def team_detail(
    services: Services, _client: WebClient, _user: str, request: AdminRequest
) -> tuple[list[Block], str]:
    teams, team = one_team(services, request.team)
    if team is None:
        return _no_single_team(request.team)
    with open_session(services.engine) as session:
        managers = memberships.team_managers(session, team.id)
    children = [t for t in teams if t.parent_id == team.id]
    people = len(team_people(services.engine, teams, team.id))
    scope = len(descendants(teams, team.id)) - 1
    return team_detail_blocks(team, people, managers, children, scope), team.name


def digest_channel(
    services: Services, _client: WebClient, user_id: str, request: AdminRequest
) -> tuple[list[Block], str]:
    _teams, team = one_team(services, request.team)
    if team is None:
        return _no_single_team(request.team)
    with open_session(services.engine) as session:
        subscriptions.set_digest_subscription(
            session, team.id, request.target_user_id, active=request.add
        )
        session.commit()
    verb = "will get" if request.add else "will no longer get"
    text = f"<#{request.target_user_id}> {verb} the weekly digest for `{team.slug}`."
    return [section(text)], text


def manager_change(
    services: Services, client: WebClient, user_id: str, request: AdminRequest
) -> tuple[list[Block], str]:
    _teams, team = one_team(services, request.team)
    if team is None:
        return _no_single_team(request.team)
    person = ensure_person(services.engine, client, request.target_user_id, None)
    with open_session(services.engine) as session:
        changed = memberships.set_manager(session, team.id, person.id, manager=request.add)
        audit.audit(
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
