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

from collections.abc import Iterable

import sqlalchemy as sa
from sqlmodel import Session, col, select

from storage.models import Identity, Person

# Bound parameters per statement stay well under SQLite's 32,766 and PostgreSQL's 65,535.
_MAX_PARAMS = 30_000


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
    for start in range(0, len(wanted), _MAX_PARAMS):
        part = wanted[start : start + _MAX_PARAMS]
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
