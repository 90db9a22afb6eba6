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
