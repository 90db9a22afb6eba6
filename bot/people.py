"""Knowing who someone is: registering Slack users and linking their tool accounts by email."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy.engine import Engine

from storage import identities, people
from storage.engine import session as open_session

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class PersonRef:
    """The little the services need to know about a person."""

    id: int
    slack_user_id: str
    tz: str


def find_person(
    engine: Engine, *, slack_user_id: str | None = None, email: str | None = None
) -> PersonRef | None:
    """Look a person up by Slack user id or by email."""
    with open_session(engine) as session:
        if slack_user_id:
            person = people.person_by_slack_id(session, slack_user_id)
        elif email:
            person = people.person_by_email(session, email)
        else:
            return None
        if person is None or person.id is None:
            return None
        return PersonRef(person.id, person.slack_user_id, person.tz)


def ensure_person(
    engine: Engine, client: WebClient, slack_user_id: str, slack_team_id: str | None
) -> PersonRef:
    """Return the person for a Slack user, registering them from `users.info` on first sight.

    Registration links any identity whose external id is the email on the person's Slack
    profile; Slack verifies those emails, so the link is trusted.
    """
    known = find_person(engine, slack_user_id=slack_user_id)
    if known is not None:
        return known
    email, name, tz = None, "", "UTC"
    try:
        user = client.users_info(user=slack_user_id)["user"]
        profile = user.get("profile", {})
        email = profile.get("email") or None
        name = profile.get("display_name") or user.get("real_name") or user.get("name") or ""
        tz = user.get("tz") or "UTC"
    except SlackApiError as exc:
        # Missing users:read.email, say: register without email rather than fail the command.
        logger.warning("users.info failed: %s", exc.response.get("error", "unknown"))
    with open_session(engine) as session:
        ids = people.upsert_people(
            session,
            [
                {
                    "slack_user_id": slack_user_id,
                    "slack_team_id": slack_team_id,
                    "email": email,
                    "display_name": name[:200],
                    "tz": tz,
                }
            ],
        )
        person_id = ids[slack_user_id]
        if email:
            linked = identities.link_unlinked_identities_by_email(session, person_id, email)
            if linked:
                logger.info("linked %d identities by verified email", linked)
        session.commit()
    return PersonRef(person_id, slack_user_id, tz)
