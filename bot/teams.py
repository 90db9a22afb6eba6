"""Teams: which there are, who is in them and who may see them."""

from __future__ import annotations

import threading
import weakref
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy.engine import Engine

from storage import memberships
from storage.engine import session as open_session
from storage.models import Team
from storage.teams import all_teams, team_version


@dataclass(frozen=True, slots=True)
class TeamRef:
    """A team as the services see it."""

    id: int
    slug: str
    name: str
    parent_id: int | None
    source: str


@dataclass(frozen=True, slots=True)
class Access:
    """What a person may see: teams they belong to, and teams they manage (with sub-teams)."""

    member_of: frozenset[int]
    manages: frozenset[int]
    is_admin: bool

    def may_see(self, team_id: int) -> bool:
        """True when the person may see this team's aggregates."""
        return self.is_admin or team_id in self.member_of or team_id in self.manages


def _ref(team: Team) -> TeamRef:
    assert team.id is not None
    return TeamRef(team.id, team.slug, team.name, team.parent_id, team.source)


@dataclass(frozen=True, slots=True)
class _Tree:
    version: int
    teams: tuple[TeamRef, ...]  # every allowed team, by name


_trees: weakref.WeakKeyDictionary[Engine, _Tree] = weakref.WeakKeyDictionary()
_trees_lock = threading.Lock()


def load_teams(engine: Engine, sources: Iterable[str] | None = None) -> list[TeamRef]:
    """Every team from the enabled sources that is allowed (org-file teams always are).

    Every surface takes its teams from here, so a Slack user group or GitHub team that an
    admin has not allowed is no team anywhere: not its own, and not under a parent.
    The tree is read once per process and kept until the teams' version in the database
    moves (every write to teams bumps it), so a request costs one one-row query, and every
    web process sees an org import or a directory sync at its next request.
    """
    with open_session(engine) as session:
        version = team_version(session)
        tree = _trees.get(engine)
        if tree is None or tree.version != version:
            # Read after the version: a write committed in between only makes us reload again.
            tree = _Tree(
                version, tuple(_ref(team) for team in all_teams(session, None, allowed=True))
            )
            with _trees_lock:
                _trees[engine] = tree
    if sources is None:
        return list(tree.teams)
    wanted = set(sources)
    return [team for team in tree.teams if team.source in wanted]


def pending_teams(
    engine: Engine, sources: Iterable[str] | None = None, *, denied: bool = False
) -> list[TeamRef]:
    """Synced teams (Slack user groups, GitHub teams) waiting for an admin to allow them, or
    (`denied`) the ones an admin decided not to count."""
    with open_session(engine) as session:
        return [_ref(team) for team in all_teams(session, sources, allowed=False, reviewed=denied)]


def descendants(teams: Sequence[TeamRef], root: int) -> set[int]:
    """A team and every team under it."""
    children: dict[int | None, list[int]] = defaultdict(list)
    for team in teams:
        children[team.parent_id].append(team.id)
    found, stack = set(), [root]
    while stack:
        current = stack.pop()
        if current in found:  # a cycle in a hand-written org file must not loop forever
            continue
        found.add(current)
        stack.extend(children.get(current, []))
    return found


def access_for(
    engine: Engine, person_id: int | None, teams: Sequence[TeamRef], *, is_admin: bool
) -> Access:
    """The teams a person may see."""
    if person_id is None:
        return Access(frozenset(), frozenset(), is_admin)
    with open_session(engine) as session:
        roles = memberships.direct_team_roles(session, person_id)
    known = {team.id for team in teams}
    member_of = {team_id for team_id, role in roles if role == "member" and team_id in known}
    managed = set()
    for team_id, role in roles:
        if role == "manager" and team_id in known:
            managed |= descendants(teams, team_id)
    return Access(frozenset(member_of), frozenset(managed), is_admin)


def find_team(teams: Sequence[TeamRef], word: str) -> list[TeamRef]:
    """Teams matching what someone typed: slug, slug without its source prefix, or name."""
    wanted = word.strip().lower().lstrip("#@")
    exact = [t for t in teams if t.slug.lower() == wanted]
    if exact:
        return exact
    return [
        t for t in teams if t.slug.lower().split(":", 1)[-1] == wanted or t.name.lower() == wanted
    ]


def team_people(engine: Engine, teams: Sequence[TeamRef], team_id: int) -> set[int]:
    """The people a team's figures are about: its members and its sub-teams' members."""
    with open_session(engine) as session:
        return memberships.team_members(session, descendants(teams, team_id))
