"""Only allowed teams are teams: for every surface, and inside a parent's figures."""

from __future__ import annotations

from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.teams import load_teams, pending_teams, team_people
from storage import queries
from storage.teams import set_team_allowed
from tests.factories import make_person


def test_a_child_that_is_not_allowed_is_not_part_of_its_parents_figures(engine: Engine) -> None:
    people = {slack_id: make_person(engine, slack_user_id=slack_id) for slack_id in "ABCDEFG"}
    with Session(engine) as session:
        ids = queries.upsert_teams(
            session, [{"slug": "payments", "name": "Payments", "source": "org_file"}]
        )
        ids |= queries.upsert_teams(
            session,
            [{"slug": "slack:guild", "name": "Guild", "source": "slack", "parent_id": None}],
        )
        queries.add_memberships(
            session,
            [
                {"team_id": ids["payments"], "person_id": people[p], "role": "member"}
                for p in "ABCDE"
            ]
            + [
                {"team_id": ids["slack:guild"], "person_id": people[p], "role": "member"}
                for p in "FG"
            ],
        )
        session.commit()
    # However a synced team came to sit under an org team, it adds nobody until it is allowed.
    with engine.begin() as connection:
        connection.exec_driver_sql(
            f"UPDATE team SET parent_id = {ids['payments']} WHERE id = {ids['slack:guild']}"
        )

    teams = load_teams(engine)
    assert [team.slug for team in teams] == ["payments"]
    assert [team.slug for team in pending_teams(engine)] == ["slack:guild"]
    assert team_people(engine, teams, ids["payments"]) == {people[p] for p in "ABCDE"}

    with Session(engine) as session:
        set_team_allowed(session, ids["slack:guild"], allowed=True)
        session.commit()
    teams = load_teams(engine)
    assert team_people(engine, teams, ids["payments"]) == set(people.values())
    assert pending_teams(engine) == []


def test_a_denied_group_stays_denied_and_out_of_the_waiting_list(engine: Engine) -> None:
    group = {"slug": "slack:guild", "name": "Guild", "source": "slack", "parent_id": None}
    with Session(engine) as session:
        ids = queries.upsert_teams(session, [group])
        session.commit()
    assert [team.slug for team in pending_teams(engine)] == ["slack:guild"]

    with Session(engine) as session:
        assert set_team_allowed(session, ids["slack:guild"], allowed=False)  # a decision
        session.commit()
    with Session(engine) as session:
        queries.upsert_teams(session, [group | {"name": "Guild (renamed)"}])  # the next sync
        session.commit()

    assert pending_teams(engine) == []
    assert [team.slug for team in pending_teams(engine, denied=True)] == ["slack:guild"]
    assert load_teams(engine) == []
    with Session(engine) as session:
        assert set_team_allowed(session, ids["slack:guild"], allowed=True)  # changing its mind
        session.commit()
    assert [team.slug for team in load_teams(engine)] == ["slack:guild"]
