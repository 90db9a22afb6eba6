"""Linking vendor accounts to people, so that nobody can see another person's usage.

- Email-keyed accounts (Claude Code, Cursor, OpenAI) link automatically to the Slack user with
  the same, Slack-verified email.
- GitHub logins carry no email: an admin maps them (admin command or CSV), or the person claims
  one with `/myusage link github LOGIN`. A claim shows nothing until an admin approves it; a
  login someone else already holds or claims is refused and flagged to the admins.
- Unlinking marks the account "refused", so automatic linking never attaches it again.
"""

from __future__ import annotations

import csv
import enum
import io
import re
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import Engine

from bot.rejected import FileRejected
from bot.tools import COPILOT, KNOWN_TOOLS, tool_label
from storage import queries
from storage.engine import session as open_session
from storage.models import LinkMethod

GITHUB_LOGIN = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}$")
CLAIMABLE_TOOLS = {"github": COPILOT, "copilot": COPILOT}


class ClaimStatus(enum.StrEnum):
    """What became of a claim."""

    PENDING = "pending"  # recorded; waits for an admin
    ALREADY_PENDING = "already_pending"
    ALREADY_LINKED = "already_linked"
    CONFLICT = "conflict"  # someone else holds or claims it; flagged to admins
    INVALID = "invalid"


@dataclass(frozen=True, slots=True)
class ClaimOutcome:
    """A claim's result, and the identity it concerns."""

    status: ClaimStatus
    login: str
    identity_id: int | None = None


@dataclass(frozen=True, slots=True)
class LinkView:
    """One of a person's linked accounts, as they may see it."""

    tool: str
    external_id: str
    verified: bool
    method: str | None


def normalise_login(login: str) -> str | None:
    """A GitHub login in canonical (lower) case, or None when it cannot be one."""
    login = login.strip().removeprefix("@")
    return login.lower() if GITHUB_LOGIN.match(login) else None


def claim_github_login(engine: Engine, person_id: int, actor: str, login: str) -> ClaimOutcome:
    """Record `person_id`'s claim to a GitHub login; it shows nothing until verified."""
    canonical = normalise_login(login)
    if canonical is None:
        return ClaimOutcome(ClaimStatus.INVALID, login.strip()[:40])
    with open_session(engine) as session:
        identity_id = queries.ensure_identities(session, [(COPILOT, canonical)])[
            (COPILOT, canonical)
        ]
        identity = queries.identity(session, identity_id)
        assert identity is not None
        if identity.person_id == person_id:
            status = (
                ClaimStatus.ALREADY_LINKED if identity.verified else ClaimStatus.ALREADY_PENDING
            )
        elif identity.person_id is not None:
            status = ClaimStatus.CONFLICT
            queries.audit(
                session,
                "identity.claim_conflict",
                actor=actor,
                subject_person_id=person_id,
                detail={"tool": COPILOT, "external_id": canonical},
            )
        else:
            queries.link_identity(session, identity_id, person_id, LinkMethod.CLAIM, verified=False)
            queries.audit(
                session,
                "identity.claimed",
                actor=actor,
                subject_person_id=person_id,
                detail={"tool": COPILOT, "external_id": canonical},
            )
            status = ClaimStatus.PENDING
        session.commit()
    return ClaimOutcome(status, canonical, identity_id)


def decide_claim(engine: Engine, identity_id: int, admin: str, *, approve: bool) -> LinkView | None:
    """Approve or deny a pending claim; None when there is no such pending claim any more."""
    with open_session(engine) as session:
        identity = queries.identity(session, identity_id)
        if (
            identity is None
            or identity.person_id is None
            or identity.verified
            or identity.link_method != LinkMethod.CLAIM.value
        ):
            return None
        subject = identity.person_id
        if approve:
            identity.verified = True
        else:
            identity.person_id = None
            identity.link_method = None
        session.add(identity)
        queries.audit(
            session,
            "identity.claim_approved" if approve else "identity.claim_denied",
            actor=admin,
            subject_person_id=subject,
            detail={"tool": identity.tool, "external_id": identity.external_id},
        )
        session.commit()
        return LinkView(
            identity.tool, identity.external_id, identity.verified, identity.link_method
        )


def admin_map(
    engine: Engine, tool: str, external_id: str, person_id: int, admin: str | None
) -> LinkView:
    """Link an account to a person on an admin's word (replacing any claim or refusal)."""
    external_id = external_id.strip()
    if tool == COPILOT:
        login = normalise_login(external_id)
        if login is None:
            raise ValueError(f"{external_id!r} is not a GitHub login")
        external_id = login
    elif "@" in external_id:
        external_id = external_id.lower()
    with open_session(engine) as session:
        identity_id = queries.ensure_identities(session, [(tool, external_id)])[(tool, external_id)]
        previous = queries.identity(session, identity_id)
        replaced = previous.person_id if previous and previous.person_id != person_id else None
        queries.link_identity(session, identity_id, person_id, LinkMethod.ADMIN, verified=True)
        queries.audit(
            session,
            "identity.mapped",
            actor=admin,
            subject_person_id=person_id,
            detail={"tool": tool, "external_id": external_id, "replaced_person": replaced},
        )
        session.commit()
    return LinkView(tool, external_id, True, LinkMethod.ADMIN.value)


def links_of(engine: Engine, person_id: int) -> list[LinkView]:
    """The person's linked accounts, verified or pending."""
    with open_session(engine) as session:
        return [
            LinkView(i.tool, i.external_id, i.verified, i.link_method)
            for i in queries.identities_of(session, person_id)
        ]


def unlink(engine: Engine, person_id: int, tool: str, actor: str) -> list[str]:
    """Detach the person's accounts of `tool`; they are never linked automatically again."""
    with open_session(engine) as session:
        removed = []
        for identity in queries.identities_of(session, person_id):
            if identity.tool == tool:
                identity.person_id = None
                identity.verified = False
                identity.link_method = LinkMethod.REFUSED.value
                session.add(identity)
                removed.append(identity.external_id)
        if removed:
            queries.audit(
                session,
                "identity.unlinked",
                actor=actor,
                subject_person_id=person_id,
                detail={"tool": tool, "accounts": len(removed)},
            )
        session.commit()
    return removed


def tool_from_word(word: str) -> str | None:
    """The tool a person means by a word such as `github`, `copilot`, `claude`, `cursor`."""
    word = word.strip().lower().replace("-", "_")
    aliases = {"github": COPILOT, "claude": "claude_code", "chatgpt": "openai"}
    tool = aliases.get(word, word)
    return tool if tool in KNOWN_TOOLS else None


class MappingRejected(FileRejected):
    """An identity mapping file has problems; nothing was written."""


def import_identity_map(engine: Engine, path: Path, admin: str | None = None) -> int:
    """Admin mapping from CSV: `tool,external_id,slack_user_id` or `...,email`; all or nothing."""
    reader = csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig")))
    needed = {"tool", "external_id"}
    if not reader.fieldnames or not needed <= set(reader.fieldnames):
        raise MappingRejected(
            [(1, "the header must have tool, external_id and slack_user_id or email")]
        )
    rows = []
    problems: list[tuple[int, str]] = []
    with open_session(engine) as session:
        for record in reader:
            line = reader.line_num
            tool = tool_from_word(record.get("tool") or "")
            external = (record.get("external_id") or "").strip()
            slack_id = (record.get("slack_user_id") or "").strip()
            email = (record.get("email") or "").strip()
            if tool is None:
                problems.append((line, f"unknown tool {record.get('tool')!r}"))
                continue
            if tool == COPILOT and normalise_login(external) is None:
                problems.append((line, f"{external!r} is not a GitHub login"))
                continue
            if not external:
                problems.append((line, "external_id is empty"))
                continue
            person = (
                queries.person_by_slack_id(session, slack_id)
                if slack_id
                else queries.person_by_email(session, email)
                if email
                else None
            )
            if person is None or person.id is None:
                problems.append((line, "no known person with that slack_user_id or email"))
                continue
            rows.append((tool, external, person.id))
    if problems:
        raise MappingRejected(problems)
    for tool, external, person_id in rows:
        admin_map(engine, tool, external, person_id, admin)
    return len(rows)


def describe_link(view: LinkView) -> str:
    """One line for `/myusage links`."""
    status = "verified" if view.verified else "waiting for an admin to verify"
    return f"{tool_label(view.tool)}: `{view.external_id}` ({status})"
