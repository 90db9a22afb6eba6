"""The `/uptake-admin` service: operating Uptake. Every action is written to the audit log."""

from __future__ import annotations

import re
from dataclasses import dataclass

from slack_sdk import WebClient

from bot.blocks.admin import (
    admin_help_blocks,
    claims_blocks,
    mapped_blocks,
    not_admin_blocks,
    sources_blocks,
)
from bot.blocks.common import Block
from bot.collectors.registry import SOURCES
from bot.linking import admin_map, tool_from_word
from bot.people import ensure_person
from bot.services import Services
from storage import queries
from storage.engine import session as open_session

MENTION = re.compile(r"^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>$|^([UW][A-Z0-9]{2,})$")


@dataclass(frozen=True, slots=True)
class AdminRequest:
    """What the admin asked for."""

    kind: str  # help | claims | sources | map
    tool: str = ""
    external_id: str = ""
    target_user_id: str = ""
    not_understood: str = ""


def parse_admin(text: str) -> AdminRequest:
    """Read `/uptake-admin` arguments; anything not understood gets the help text."""
    words = text.strip().split()
    lowered = [word.lower() for word in words]
    if lowered in ([], ["help"]):
        return AdminRequest("help")
    if lowered in (["claims"], ["sources"]):
        return AdminRequest(lowered[0])
    if len(words) == 4 and lowered[0] == "map" and tool_from_word(lowered[1]):
        mention = MENTION.match(words[3])
        if mention:
            return AdminRequest(
                "map",
                tool=tool_from_word(lowered[1]) or "",
                external_id=words[2],
                target_user_id=mention.group(1) or mention.group(2),
            )
    return AdminRequest("help", not_understood=text.strip()[:100])


def is_admin(services: Services, user_id: str) -> bool:
    """True for the users named in ADMIN_USER_IDS."""
    return user_id in services.settings.admin_user_ids


def answer_admin(
    services: Services, client: WebClient, user_id: str, request: AdminRequest
) -> tuple[list[Block], str]:
    """Answer an admin (and only an admin)."""
    if not is_admin(services, user_id):
        return not_admin_blocks(), "Only Uptake admins can use /uptake-admin"
    if request.kind == "claims":
        with open_session(services.engine) as session:
            pending = [
                (person.slack_user_id, identity.external_id, identity.id or 0)
                for identity, person in queries.pending_claims(session)
            ]
        return claims_blocks(pending), "Pending claims"
    if request.kind == "sources":
        with open_session(services.engine) as session:
            states = {state.source: state for state in queries.sync_states(session)}
        rows = [
            (source, source.enabled(services.settings), states.get(source.name))
            for source in SOURCES
        ]
        return sources_blocks(rows, now=services.clock()), "Usage sources"
    if request.kind == "map":
        person = ensure_person(services.engine, client, request.target_user_id, None)
        try:
            view = admin_map(services.engine, request.tool, request.external_id, person.id, user_id)
        except ValueError as exc:
            return admin_help_blocks(note=str(exc)), "Not mapped"
        return mapped_blocks(view, request.target_user_id), "Mapped"
    note = (
        f"Sorry, I didn't understand `{request.not_understood}`." if request.not_understood else ""
    )
    return admin_help_blocks(note=note), "How to use /uptake-admin"
