"""Linking vendor accounts to people, so that nobody can see another person's usage.

- Email-keyed accounts (Claude Code, Cursor, OpenAI) link automatically to the Slack user with
  the same, Slack-verified email.
- GitHub logins carry no email: an admin maps them (admin command or CSV), or the person claims
  one with `/myusage link github LOGIN`. A claim shows nothing until an admin approves it; a
  login someone else already holds or claims is refused and flagged to the admins.
- Unlinking marks the account "refused", so automatic linking never attaches it again; unlinking
  a claim still waiting for review only withdraws it.
"""

from __future__ import annotations

import enum
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.blocks.common import code
from bot.import_files import DEFAULT_MAX_BYTES, control_characters, csv_rows, numbered_lines
from bot.rejected import FileRejected, validation_problems
from bot.tools import COPILOT, KNOWN_TOOLS, tool_label
from storage import audit, identities, people
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
        identity_id = identities.ensure_identities(session, [(COPILOT, canonical)])[
            (COPILOT, canonical)
        ]
        identity = identities.identity(session, identity_id)
        assert identity is not None
        if identity.person_id == person_id:
            status = (
                ClaimStatus.ALREADY_LINKED if identity.verified else ClaimStatus.ALREADY_PENDING
            )
        elif identity.person_id is not None:
            status = ClaimStatus.CONFLICT
            audit.audit(
                session,
                "identity.claim_conflict",
                actor=actor,
                subject_person_id=person_id,
                detail={"tool": COPILOT, "external_id": canonical},
            )
        else:
            identities.link_identity(
                session, identity_id, person_id, LinkMethod.CLAIM, verified=False
            )
            audit.audit(
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
        identity = identities.identity(session, identity_id)
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
        audit.audit(
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
    external_id = _canonical_account(tool, external_id)
    with open_session(engine) as session:
        identity_id = identities.ensure_identities(session, [(tool, external_id)])[
            (tool, external_id)
        ]
        _map(session, identity_id, person_id, admin)
        session.commit()
    return LinkView(tool, external_id, True, LinkMethod.ADMIN.value)


def _canonical_account(tool: str, external_id: str) -> str:
    """An account id as Uptake stores it; ValueError when it cannot be one."""
    external_id = external_id.strip()
    if tool == COPILOT:
        login = normalise_login(external_id)
        if login is None:
            raise ValueError(f"{external_id[:40]!r} is not a GitHub login")
        return login
    return external_id.lower() if "@" in external_id else external_id


def _map(session: Session, identity_id: int, person_id: int, admin: str | None) -> MapChange:
    """Link one stored account to a person on an admin's word, and audit it."""
    previous = identities.identity(session, identity_id)
    assert previous is not None
    if previous.person_id is None:
        change = MapChange.LINKED
    elif previous.person_id != person_id:
        change = MapChange.MOVED
    elif previous.verified and previous.link_method == LinkMethod.ADMIN.value:
        change = MapChange.UNCHANGED
    else:
        change = MapChange.CONFIRMED
    if change is MapChange.UNCHANGED:
        return change
    replaced = previous.person_id if change is MapChange.MOVED else None
    detail = {"tool": previous.tool, "external_id": previous.external_id}
    identities.link_identity(session, identity_id, person_id, LinkMethod.ADMIN, verified=True)
    audit.audit(
        session,
        "identity.mapped",
        actor=admin,
        subject_person_id=person_id,
        detail={**detail, "replaced_person": replaced},
    )
    return change


def links_of(engine: Engine, person_id: int) -> list[LinkView]:
    """The person's linked accounts, verified or pending."""
    with open_session(engine) as session:
        return [
            LinkView(i.tool, i.external_id, i.verified, i.link_method)
            for i in identities.identities_of(session, person_id)
        ]


def unlink(engine: Engine, person_id: int, tool: str, actor: str) -> list[str]:
    """Detach the person's accounts of `tool`; they are never linked automatically again."""
    with open_session(engine) as session:
        removed = []
        for identity in identities.identities_of(session, person_id):
            if identity.tool == tool:
                # A pending claim is withdrawn, not refused: the account may be someone else's,
                # and only its owner may refuse future automatic links to it.
                refused = identity.verified
                identity.person_id = None
                identity.verified = False
                identity.link_method = LinkMethod.REFUSED.value if refused else None
                session.add(identity)
                removed.append(identity.external_id)
        if removed:
            audit.audit(
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


class MapChange(enum.StrEnum):
    """What mapping an account did to its link."""

    LINKED = "linked"  # it was not linked to anyone
    MOVED = "moved"  # it was linked to someone else
    CONFIRMED = "confirmed"  # it was this person's already, unverified or not by an admin
    UNCHANGED = "unchanged"  # an admin had mapped it to this person already


class IdentityMapRow(BaseModel):
    """One row of an identity map: a tool account and the person who owns it."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    tool: str = Field(description="github (Copilot), claude_code, cursor or openai")
    external_id: str = Field(min_length=1, description="the account: a GitHub login or an email")
    slack_user_id: str | None = Field(default=None, description="its owner (this or email)")
    email: str | None = Field(default=None, description="its owner's Slack email")

    @model_validator(mode="before")
    @classmethod
    def _plain_text(cls, data: Any) -> Any:
        bad = control_characters(data) if isinstance(data, dict) else []
        if bad:
            raise ValueError(f"{', '.join(bad)}: a control character is not allowed in text")
        return data

    @field_validator("tool")
    @classmethod
    def _known_tool(cls, value: str) -> str:
        tool = tool_from_word(value)
        if tool is None:
            raise ValueError(f"unknown tool {value[:40]!r} (known: {', '.join(KNOWN_TOOLS)})")
        return tool

    @model_validator(mode="after")
    def _canonical(self) -> IdentityMapRow:
        if not self.slack_user_id and not self.email:
            raise ValueError("needs a slack_user_id or an email")
        try:
            self.external_id = _canonical_account(self.tool, self.external_id)
        except ValueError as exc:
            raise ValueError(f"external_id: {exc}") from None
        return self


@dataclass(frozen=True, slots=True)
class IdentityMapResult:
    """What an identity map import did, or in a dry run would have done, by kind of change."""

    changes: Mapping[MapChange, int]
    written: bool

    @property
    def accounts(self) -> int:
        """How many accounts the file maps."""
        return sum(self.changes.values())


EXAMPLE_IDENTITY_MAP = "tool,external_id,slack_user_id,email\ngithub,ada-lovelace,U012AB3CD,\n"


def import_identity_map(
    engine: Engine,
    path: Path,
    admin: str | None = None,
    *,
    dry_run: bool = False,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> IdentityMapResult:
    """Admin mapping of tool accounts to people from CSV; all or nothing, by line."""
    try:
        fieldnames, records = csv_rows(numbered_lines(path, max_bytes=max_bytes))
    except FileRejected as exc:
        raise MappingRejected(exc.problems) from None
    if not {"tool", "external_id"} <= set(fieldnames):
        raise MappingRejected(
            [(1, "the header must have tool, external_id and slack_user_id or email")]
        )
    rows: list[tuple[int, IdentityMapRow]] = []
    problems: list[tuple[int, str]] = []
    seen: dict[tuple[str, str], int] = {}
    for line, record in records:
        if isinstance(record, str):
            problems.append((line, record))
            continue
        try:
            row = IdentityMapRow.model_validate({k: v for k, v in record.items() if v})
        except ValidationError as exc:
            problems += validation_problems(exc, line)
            continue
        key = (row.tool, row.external_id)
        if key in seen:
            problems.append((line, f"duplicates line {seen[key]} (same tool and account)"))
            continue
        seen[key] = line
        rows.append((line, row))
    with open_session(engine) as session:
        by_slack = people.people_by_slack_ids(
            session, {row.slack_user_id for _, row in rows if row.slack_user_id}
        )
        by_email = people.people_by_emails(
            session, {row.email for _, row in rows if row.email and not row.slack_user_id}
        )
        owners: list[tuple[tuple[str, str], int]] = []
        for line, row in rows:
            owner = (
                by_slack.get(row.slack_user_id)
                if row.slack_user_id
                else by_email.get((row.email or "").lower())
            )
            if owner is None:
                problems.append((line, "no known person with that slack_user_id or email"))
            else:
                owners.append(((row.tool, row.external_id), owner))
        if problems:
            raise MappingRejected(sorted(problems))
        if not owners:
            raise MappingRejected([(1, "the file has no rows")])
        identity_ids = identities.ensure_identities(session, (key for key, _ in owners))
        changes = Counter(
            _map(session, identity_ids[key], person_id, admin) for key, person_id in owners
        )
        if dry_run:
            session.rollback()
        else:
            session.commit()
    return IdentityMapResult(dict(changes), written=not dry_run)


def describe_link(view: LinkView) -> str:
    """One line for `/myusage links`."""
    status = "verified" if view.verified else "waiting for an admin to verify"
    return f"{tool_label(view.tool)}: {code(view.external_id)} ({status})"
