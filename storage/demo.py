"""What a database holds besides the demo organisation (see `bot.demo`)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import Session, col

from storage.models import Identity, Person, Team


def rows_outside_demo(
    session: Session, *, user_prefix: str, email_domain: str, team_prefix: str
) -> dict[str, int]:
    """People, tool accounts and teams that are not the demo's; zero everywhere when empty.

    A demo person has a Slack id starting with `user_prefix` and an email at `email_domain`;
    a demo account belongs to a demo person; a demo team's slug starts with `team_prefix`.
    A database that has never been migrated holds nothing.
    """
    if not sa.inspect(session.get_bind()).has_table(Person.__tablename__):
        return {"people": 0, "tool accounts": 0, "teams": 0}
    is_demo_person = sa.and_(
        col(Person.slack_user_id).startswith(user_prefix, autoescape=True),
        sa.func.coalesce(col(Person.email), "").endswith(f"@{email_domain}", autoescape=True),
    )
    demo_people = sa.select(col(Person.id)).where(is_demo_person)

    def count(model: type[object], *where: sa.ColumnElement[bool]) -> int:
        query = sa.select(sa.func.count()).select_from(model).where(*where)
        return int(session.execute(query).scalar_one())

    return {
        "people": count(Person, sa.not_(is_demo_person)),
        "tool accounts": count(
            Identity,
            sa.or_(col(Identity.person_id).is_(None), col(Identity.person_id).not_in(demo_people)),
        ),
        "teams": count(Team, sa.not_(col(Team.slug).startswith(team_prefix, autoescape=True))),
    }
