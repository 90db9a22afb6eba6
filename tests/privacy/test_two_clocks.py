"""Two clocks making the same releases at once: one key per person, one final release per team.

If each clock kept the record keys it drew, the two would release different noise for the
same people, and whichever release a surface read would differ from the other's: two draws
about the same figure, which is exactly what the cell-key method must never hand out.
"""

from __future__ import annotations

import threading

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from storage.engine import make_engine
from storage.models import DisclosureKey, TeamRelease
from tests.privacy.world import WEEK48, person, publish, settings_for, team


def test_two_clocks_release_once_with_one_key_per_person(engine: Engine, database_url: str) -> None:
    members = [person(engine, f"U0CLK{n:02d}", {"copilot": WEEK48[: n % 6]}) for n in range(12)]
    team(engine, "squad", members)
    team(engine, "guild", members[:8])
    settings = settings_for(database_url)
    start = threading.Barrier(2)
    failures: list[BaseException] = []

    def clock() -> None:
        own = make_engine(database_url)
        try:
            start.wait(timeout=30)
            publish(own, settings)
        except BaseException as exc:  # reported below: a thread's exception is otherwise lost
            failures.append(exc)
        finally:
            own.dispose()

    clocks = [threading.Thread(target=clock) for _ in range(2)]
    for thread in clocks:
        thread.start()
    for thread in clocks:
        thread.join(timeout=120)
    assert failures == []

    with engine.connect() as connection:
        keys = connection.execute(
            sa.select(DisclosureKey.person_id, sa.func.count()).group_by(DisclosureKey.person_id)
        ).all()
        releases = connection.execute(
            sa.select(TeamRelease.team_id, TeamRelease.period, sa.func.count()).group_by(
                TeamRelease.team_id, TeamRelease.period
            )
        ).all()
        stored = dict(
            connection.execute(
                sa.select(TeamRelease.team_id, TeamRelease.figures).where(
                    TeamRelease.period == "2026-W48"
                )
            ).all()
        )
    assert sorted(person for person, _ in keys) == sorted(members)
    assert {count for _, count in keys} == {1}
    assert releases and {count for _, _, count in releases} == {1}
    # A third run with the stored keys changes nothing: what was released is final.
    publish(engine, settings)
    with engine.connect() as connection:
        again = dict(
            connection.execute(
                sa.select(TeamRelease.team_id, TeamRelease.figures).where(
                    TeamRelease.period == "2026-W48"
                )
            ).all()
        )
    assert again == stored
