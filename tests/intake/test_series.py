"""Counter series state: each increment once, whatever order and repeats the points come in."""

from __future__ import annotations

from sqlalchemy.engine import Engine

from storage.engine import session as open_session
from storage.otlp import CounterPoint, advance_series


def _advance(engine: Engine, *points: CounterPoint) -> list[float]:
    with open_session(engine) as session:
        moves = advance_series(session, list(points))
        session.commit()
    return [after - before for before, after in moves]


def _cumulative(value: float, time: int, start: int = 100) -> CounterPoint:
    return CounterPoint("series-c", start, time, value, cumulative=True)


def _delta(value: float, time: int) -> CounterPoint:
    return CounterPoint("series-d", time - 10, time, value, cumulative=False)


def test_cumulative_points_add_their_increase_once(engine: Engine) -> None:
    assert _advance(engine, _cumulative(5, 200), _cumulative(5, 200)) == [5, 0]
    assert _advance(engine, _cumulative(8, 300), _cumulative(8, 300)) == [3, 0]
    assert _advance(engine, _cumulative(6, 250)) == [0]  # older than what was seen: a repeat
    assert _advance(engine, _cumulative(2, 400)) == [2]  # went down: a reset, counted from zero
    assert _advance(engine, _cumulative(4, 500, start=450)) == [4]  # a new start: a new run
    assert _advance(engine, _cumulative(9, 260)) == [0]  # a late point of the first run


def test_delta_points_add_once_each(engine: Engine) -> None:
    assert _advance(engine, _delta(2, 200), _delta(3, 300)) == [2, 3]
    assert _advance(engine, _delta(3, 300), _delta(2, 200)) == [0, 0]  # repeats
    assert _advance(engine, _delta(0.25, 400), _delta(0.5, 500)) == [0.25, 0.5]
