"""`/myusage forget`: delete everything about one person in one transaction."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy.engine import Engine

from bot.personal.export import EXPORT_SECTIONS
from storage import audit
from storage.engine import session as open_session
from storage.personal import (
    delete_person_data,
    person_for_update,
)

FORGOTTEN_ACTION = "person.forgotten"

FORGET_EXPLANATION = """\
*What forgetting you does*
• Deletes for good, in one go: your name, email and time zone as Uptake copied them from \
Slack; your linked tool accounts and all their daily usage history; your licence (seat) \
records; your team memberships; your tip settings (tips go off); messages waiting to be sent \
to you; and the audit log about you.
• Withdraws any account claim still waiting for an admin: that account's data was never \
shown as yours, and stays.
• Keeps one audit line saying that someone was forgotten and how many rows went: no name, \
email or id.

*What it does not do*
• Stop Slack or your AI tools reporting to your company. At the next sync Uptake meets you \
again as someone new: it records your usage from then on and links it to you as for anyone \
else, with no history and tips off. You can see it in `/myusage privacy` and forget again \
any time.
• Remember that you asked. That would mean keeping your email or Slack id, the very things \
you asked us to delete, and your tools would still report you, under an account you could no \
longer see or delete.
• Keep accounts you had unlinked apart from you: one carrying your Slack email links to you \
again at the next sync. Unlink it again if you wish.
• Delete what Slack or the tool vendors hold, or messages already in your Slack DMs.
• If you are an admin: your looks at other people's data stay in *their* audit logs.\
"""


@dataclass(frozen=True, slots=True)
class ForgetResult:
    """What forgetting a person deleted, per table; all zero when there was nobody to forget.

    `withdrawn_claims` counts pending claims withdrawn: their accounts are someone else's and stay.
    """

    deleted: Mapping[str, int]
    withdrawn_claims: int = 0

    @property
    def forgotten(self) -> bool:
        """True when a person row was deleted."""
        return self.deleted.get("person", 0) > 0

    @property
    def total(self) -> int:
        """Rows deleted in all."""
        return sum(self.deleted.values())


def forget_person(engine: Engine, person_id: int, *, actor: str, now: dt.datetime) -> ForgetResult:
    """Delete everything stored about the person in one transaction and audit it anonymously.

    Everything about them goes (see the module docstring), including their audit entries. One
    `person.forgotten` entry remains, holding only row counts per table; its actor is the
    admin who did it, or none when the person forgot themselves, so that no id of theirs stays.
    An unknown id (never known, or already forgotten) deletes and records nothing.

    Kept on purpose: audit entries about *other* people in which this person was the actor
    (an admin's looks at someone's data belong to that someone's audit log), and other
    people's audit details that happen to name one of their accounts.

    Forgetting is not sticky. The Slack directory sync re-creates a person row and vendor
    syncs keep reporting them, so Uptake starts again from zero: new usage is recorded and
    linked by email as for anyone, with no history and tips off. Uptake does not keep a
    "do not re-link" marker because it would have to hold their Slack id or email (or a hash,
    which is as identifying), the very data they asked to delete; and blocking links would
    not stop collection, only store their usage under an unlinked account they could no
    longer see, export or delete. Linked, it stays theirs to see and to forget again.
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    with open_session(engine) as session:
        person = person_for_update(session, person_id)
        if person is None:
            return ForgetResult(deleted=dict.fromkeys(EXPORT_SECTIONS, 0))
        requested_by_self = actor == person.slack_user_id
        deleted, withdrawn = delete_person_data(session, person)
        detail: dict[str, object] = {
            "requested_by": "self" if requested_by_self else "admin",
            "deleted": deleted,
        }
        if withdrawn:
            detail["withdrawn_claims"] = withdrawn
        audit.audit(
            session,
            FORGOTTEN_ACTION,
            actor=None if requested_by_self else actor,
            subject_person_id=None,
            detail=detail,
            at=now,
        )
        session.commit()
    return ForgetResult(deleted=deleted, withdrawn_claims=withdrawn)


# -- looks by others ------------------------------------------------------------------------------
