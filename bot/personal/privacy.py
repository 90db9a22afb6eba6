"""`/myusage privacy`: who sees what, what is stored, and operators' looks at one person."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy.engine import Engine

from bot.personal.export import AuditRecord, UnknownPerson, audit_record
from storage import audit, people
from storage.engine import session as open_session
from storage.identities import pending_claims_of
from storage.personal import (
    audit_entries_about,
    identities_about,
    team_memberships_of,
    tip_preference_of,
    usage_span_about,
    vendor_team_memberships_about,
)

LOOKED_ACTION = "admin.viewed_person"
# The actor of a look from the `uptake` command line, which has no Slack user.
COMMAND_LINE_ACTOR = "cli"


def record_look(
    engine: Engine,
    person_id: int,
    *,
    actor: str,
    what: str,
    now: dt.datetime,
    via: str | None = None,
) -> None:
    """Write someone else's look at the person's data to the audit log the person reads."""
    with open_session(engine) as session:
        audit.audit(
            session,
            LOOKED_ACTION,
            actor=actor,
            subject_person_id=person_id,
            detail={"what": what, **({"via": via} if via else {})},
            at=now,
        )
        session.commit()


# -- privacy summary ------------------------------------------------------------------------------

AUDIT_ENTRIES_SHOWN = 50

YOU_SEE = "*You* see all of your own data: every figure, every linked account, this audit log."
MANAGERS_SEE = (
    "*Your managers* see team figures only for teams of at least {min_group_size} people, "
    "never your individual numbers. Each team figure is released once per week (and per 4 and "
    "13 weeks) with a little random noise that is the same for the same people whoever asks, "
    "so no combination of answers gives away your figures."
)
ADMINS_SEE = (
    "*Admins* operate Uptake (connect tools, map accounts, set policy). Every time one of them "
    "looks at your individual data, it is written to the audit log below."
)
RETENTION = "Daily usage older than {retention_days} days is deleted."
ONLY_METRICS = (
    "Only usage metrics are stored (counts, lines, tokens, cost per day): never your prompts, "
    "code or message content."
)
LLM_SEES = (
    "If an LLM is set up to phrase tips, it receives only aggregates and tip text: never your "
    "name, email or ids."
)


@dataclass(frozen=True, slots=True)
class PrivacySummary:
    """What is stored about a person, who can see what, and who has looked."""

    identities: int
    pending_claims: int
    usage_rows: int
    first_usage_day: dt.date | None
    last_usage_day: dt.date | None
    teams: int
    tips_enabled: bool
    audit_entries: tuple[AuditRecord, ...]
    who_sees_what: tuple[str, ...]


def who_sees_what(*, min_group_size: int, retention_days: int) -> tuple[str, ...]:
    """The privacy statements, in Slack mrkdwn, with this installation's thresholds."""
    return (
        YOU_SEE,
        MANAGERS_SEE.format(min_group_size=min_group_size),
        ADMINS_SEE,
        RETENTION.format(retention_days=retention_days),
        ONLY_METRICS,
        LLM_SEES,
    )


def privacy_summary(
    engine: Engine, person_id: int, *, min_group_size: int, retention_days: int
) -> PrivacySummary:
    """Counts of what is stored about the person and the newest audit entries about them."""
    with open_session(engine) as session:
        person = people.person(session, person_id)
        if person is None:
            raise UnknownPerson(person_id)
        usage_rows, first_day, last_day = usage_span_about(session, person)
        teams = {team.slug for team, _ in team_memberships_of(session, person_id)} | {
            team.slug for team, _ in vendor_team_memberships_about(session, person)
        }
        preference = tip_preference_of(session, person_id)
        return PrivacySummary(
            identities=len(identities_about(session, person)),
            pending_claims=len(pending_claims_of(session, person_id)),
            usage_rows=usage_rows,
            first_usage_day=first_day,
            last_usage_day=last_day,
            teams=len(teams),
            tips_enabled=preference is not None and preference.enabled,
            audit_entries=tuple(
                audit_record(entry)
                for entry in audit_entries_about(session, person_id, limit=AUDIT_ENTRIES_SHOWN)
            ),
            who_sees_what=who_sees_what(
                min_group_size=min_group_size, retention_days=retention_days
            ),
        )
