"""Whose accounts are whose: the one definition of a person's accounts, and their claims.

A person's accounts are the identities verified as theirs (Slack-verified email, an admin's
mapping, a usage file naming their Slack id, an approved claim), plus unlinked identities that
carry their Slack-verified email (what automatic linking would give them, including accounts
they unlinked). A pending claim is not an account: it is the claimer's request, and until an
admin approves it none of the account's data (usage, seat, vendor teams) is theirs to read,
export, be audited about or delete. The export, privacy summary, forget and admins' audited
looks all select through `owned_by`; usage figures join verified links only, the same rule.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import sqlalchemy as sa
from sqlmodel import Session, col, select

from storage.batches import MAX_PARAMS, chunks, insert_for
from storage.models import Identity, LinkMethod, Person, utcnow
from storage.people import people_by_emails


def owned_by(person: Person) -> sa.ColumnElement[bool]:
    """Identities that are `person`'s accounts (see the module docstring); never a claim."""
    verified = sa.and_(col(Identity.person_id) == person.id, col(Identity.verified).is_(True))
    if not person.email:
        return verified
    email = person.email.lower()
    return sa.or_(
        verified,
        sa.and_(
            col(Identity.person_id).is_(None),
            sa.or_(
                sa.func.lower(Identity.external_id) == email,
                sa.func.lower(Identity.email) == email,
            ),
        ),
    )


def _claimed_by(person_id: int) -> sa.ColumnElement[bool]:
    return sa.and_(col(Identity.person_id) == person_id, col(Identity.verified).is_(False))


def pending_claims_of(session: Session, person_id: int) -> list[Identity]:
    """The person's claims still waiting for an admin, by tool and external id."""
    return list(
        session.exec(
            select(Identity)
            .where(_claimed_by(person_id))
            .order_by(col(Identity.tool), col(Identity.external_id))
        )
    )


def withdraw_claims(session: Session, person_id: int) -> int:
    """Withdraw the person's pending claims; the accounts and their data stay. How many."""
    result = session.execute(
        sa.update(Identity)
        .where(_claimed_by(person_id))
        .values(person_id=None, link_method=None, verified=False)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def owners_of_accounts(session: Session, tool: str, external_ids: Iterable[str]) -> dict[str, int]:
    """The person (id) each of a tool's accounts is verified as belonging to; claims own none."""
    wanted = sorted(set(external_ids))
    owners: dict[str, int] = {}
    for start in range(0, len(wanted), MAX_PARAMS):
        part = wanted[start : start + MAX_PARAMS]
        for external_id, person_id in session.execute(
            sa.select(col(Identity.external_id), col(Identity.person_id)).where(
                col(Identity.tool) == tool,
                col(Identity.external_id).in_(part),
                col(Identity.person_id).is_not(None),
                col(Identity.verified).is_(True),
            )
        ):
            owners[external_id] = person_id
    return owners


def ensure_identities(
    session: Session, keys: Iterable[tuple[str, str]]
) -> dict[tuple[str, str], int]:
    """Return the id of each (tool, external_id), creating unlinked identities that are missing."""
    wanted = sorted(set(keys))
    if not wanted:
        return {}
    insert = insert_for(session)
    now = utcnow()
    values = [
        {"tool": tool, "external_id": ext, "verified": False, "created_at": now}
        for tool, ext in wanted
    ]
    for chunk in chunks(values, 4):
        session.execute(
            insert(Identity)
            .values(list(chunk))
            .on_conflict_do_nothing(index_elements=["tool", "external_id"])
        )
    found: dict[tuple[str, str], int] = {}
    by_tool: dict[str, list[str]] = {}
    for tool, ext in wanted:
        by_tool.setdefault(tool, []).append(ext)
    for tool, externals in by_tool.items():
        for start in range(0, len(externals), MAX_PARAMS):
            part = externals[start : start + MAX_PARAMS]
            result = session.execute(
                sa.select(col(Identity.id), col(Identity.external_id)).where(
                    col(Identity.tool) == tool, col(Identity.external_id).in_(part)
                )
            )
            for identity_id, ext in result:
                found[(tool, ext)] = identity_id
    return found


def identity(session: Session, identity_id: int) -> Identity | None:
    """One identity by id."""
    return session.get(Identity, identity_id)


def identity_by_key(session: Session, tool: str, external_id: str) -> Identity | None:
    """One identity by tool and external id."""
    return session.exec(
        select(Identity).where(Identity.tool == tool, Identity.external_id == external_id)
    ).first()


def identities_of(session: Session, person_id: int) -> list[Identity]:
    """Every identity linked to a person, verified or not."""
    return list(
        session.exec(
            select(Identity).where(Identity.person_id == person_id).order_by(col(Identity.tool))
        )
    )


def pending_claims(session: Session, limit: int = 50) -> list[tuple[Identity, Person]]:
    """Identities claimed by someone and not verified yet, oldest first."""
    rows = session.exec(
        select(Identity, Person)
        .join(Person, col(Person.id) == col(Identity.person_id))
        .where(col(Identity.verified).is_(False), Identity.link_method == LinkMethod.CLAIM.value)
        .order_by(col(Identity.created_at), col(Identity.id))
        .limit(limit)
    )
    return [(identity_row, person) for identity_row, person in rows]


def link_identity(
    session: Session, identity_id: int, person_id: int, method: LinkMethod, *, verified: bool
) -> None:
    """Attach an identity to a person."""
    session.execute(
        sa.update(Identity)
        .where(col(Identity.id) == identity_id)
        .values(person_id=person_id, link_method=method.value, verified=verified)
    )


def link_unlinked_identities_by_email(session: Session, person_id: int, email: str) -> int:
    """Link every unlinked identity whose external id or vendor email is `email`.

    `email` must be one Slack has verified. GitHub logins never hold an @, so only
    email-keyed identities, or ones whose vendor reported this email, can match.
    """
    email = email.lower()
    result = session.execute(
        sa.update(Identity)
        .where(
            col(Identity.person_id).is_(None),
            col(Identity.link_method).is_distinct_from(LinkMethod.REFUSED.value),
            sa.or_(sa.func.lower(Identity.external_id) == email, col(Identity.email) == email),
        )
        .values(person_id=person_id, link_method=LinkMethod.EMAIL.value, verified=True)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def set_identity_emails(session: Session, emails: Mapping[int, str]) -> None:
    """Record the email a vendor reports for each identity id (only where it changed)."""
    wanted = {identity_id: email.lower() for identity_id, email in emails.items()}
    ids = sorted(wanted)
    changed = []
    for start in range(0, len(ids), MAX_PARAMS):
        part = ids[start : start + MAX_PARAMS]
        for identity_id, current in session.execute(
            sa.select(col(Identity.id), col(Identity.email)).where(col(Identity.id).in_(part))
        ):
            if current != wanted[identity_id]:
                changed.append({"id": identity_id, "email": wanted[identity_id]})
    if changed:
        session.execute(sa.update(Identity), changed)  # bulk UPDATE by primary key


def link_identities_to_known_people(session: Session, identity_ids: Iterable[int]) -> int:
    """Link unlinked identities to the person whose Slack email matches them, if any."""
    ids = list(identity_ids)
    linked = 0
    for start in range(0, len(ids), MAX_PARAMS // 2):
        part = ids[start : start + MAX_PARAMS // 2]
        candidates = session.execute(
            sa.select(col(Identity.id), col(Identity.external_id), col(Identity.email)).where(
                col(Identity.id).in_(part),
                col(Identity.person_id).is_(None),
                col(Identity.link_method).is_distinct_from(LinkMethod.REFUSED.value),
            )
        ).all()
        emails = {
            (email or external).lower()
            for _, external, email in candidates
            if "@" in (email or external)
        }
        people = people_by_emails(session, emails)
        for identity_id, external, email in candidates:
            key = (email or external).lower()
            if key in people:
                link_identity(session, identity_id, people[key], LinkMethod.EMAIL, verified=True)
                linked += 1
    return linked
