"""The Slack directory: who works here, their verified emails and time zones.

Knowing everyone up front (not only those who have typed `/myusage`) lets vendor accounts
link by email as soon as they are synced, and gives teams their members.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from slack_sdk import WebClient
from sqlalchemy.engine import Engine

from storage import queries
from storage.engine import session as open_session
from storage.teams import all_teams

logger = logging.getLogger(__name__)

PAGE_SIZE = 200  # Slack recommends no more than 200 per page


@dataclass(frozen=True, slots=True)
class DirectorySync:
    """What a directory sync saw and did."""

    people: int
    linked: int


def sync_people(engine: Engine, client: WebClient) -> DirectorySync:
    """Upsert every active, human Slack user and link their vendor accounts by email."""
    people: list[dict[str, Any]] = []
    cursor = None
    while True:
        page = client.users_list(limit=PAGE_SIZE, cursor=cursor)
        members: list[dict[str, Any]] = page.get("members") or []
        for member in members:
            if member.get("deleted") or member.get("is_bot") or member.get("id") == "USLACKBOT":
                continue
            profile = member.get("profile") or {}
            people.append(
                {
                    "slack_user_id": member["id"],
                    "slack_team_id": member.get("team_id"),
                    "email": (profile.get("email") or "").lower() or None,
                    "display_name": (profile.get("display_name") or member.get("real_name") or "")[
                        :200
                    ],
                    "tz": member.get("tz") or "UTC",
                }
            )
        cursor = (page.get("response_metadata") or {}).get("next_cursor") or None
        if not cursor:
            break
    linked = 0
    with open_session(engine) as session:
        ids = queries.upsert_people(session, people)
        for person in people:
            if person["email"]:
                linked += queries.link_unlinked_identities_by_email(
                    session, ids[person["slack_user_id"]], person["email"]
                )
        session.commit()
    logger.info("directory: %d people, %d account(s) linked by email", len(people), linked)
    return DirectorySync(people=len(people), linked=linked)


SLACK_TEAM_SOURCE = "slack"


def sync_user_groups(engine: Engine, client: WebClient) -> int:
    """Make Slack user groups into teams (slug `slack:HANDLE`) with their current members.

    A new group is not allowed (no team on any surface) until an admin allows it.
    """
    groups: list[dict[str, Any]] = (
        client.usergroups_list(include_disabled=False).get("usergroups") or []
    )
    teams: dict[str, str] = {}
    members: dict[str, list[str]] = {}
    for group in groups:
        handle = str(group.get("handle") or group["id"]).lower()
        slug = f"slack:{handle}"
        teams[slug] = str(group.get("name") or handle)[:200]
        users = client.usergroups_users_list(usergroup=group["id"]).get("users") or []
        members[slug] = [str(user) for user in users]
    with open_session(engine) as session:
        ids = queries.upsert_teams(
            session,
            [
                {"slug": slug, "name": name, "parent_id": None, "source": SLACK_TEAM_SOURCE}
                for slug, name in sorted(teams.items())
            ],
        )
        people = queries.upsert_people(
            session,
            [
                {"slack_user_id": user}
                for user in sorted({u for us in members.values() for u in us})
            ],
        )
        queries.replace_team_memberships(
            session,
            ids.values(),
            [
                {"team_id": ids[slug], "person_id": people[user], "role": "member"}
                for slug, users in members.items()
                for user in users
            ],
        )
        stale = [team for team in all_teams(session, [SLACK_TEAM_SOURCE]) if team.slug not in teams]
        for team in stale:
            session.delete(team)
        session.commit()
        pending = len(all_teams(session, [SLACK_TEAM_SOURCE], allowed=False))
    logger.info(
        "directory: %d Slack user group(s), %d waiting for an admin (/uptake-admin teams)",
        len(teams),
        pending,
    )
    return len(teams)
