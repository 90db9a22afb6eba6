"""Health checks for `uptake health`: the database, its schema, heartbeats and the outbox."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection
from dataclasses import dataclass

from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from storage import ops
from storage.engine import ping
from storage.engine import session as open_session
from storage.migrate import MIGRATIONS, current_revision

MAX_HEARTBEAT_AGE = dt.timedelta(minutes=3)
MAX_OUTBOX_WAIT = dt.timedelta(minutes=15)


@dataclass(frozen=True, slots=True)
class Check:
    """One check's verdict, and why, in words an operator can act on."""

    name: str
    ok: bool
    detail: str


def check_health(
    engine: Engine,
    *,
    now: dt.datetime,
    require: Collection[str] = (),
    max_heartbeat_age: dt.timedelta = MAX_HEARTBEAT_AGE,
    max_outbox_wait: dt.timedelta = MAX_OUTBOX_WAIT,
) -> list[Check]:
    """Every check, in order; past an unreachable database nothing else can be checked.

    A process in `require` must have a fresh heartbeat; any other process that has ever beaten
    must be fresh too, since one that stopped beating has stopped working.
    """
    try:
        ping(engine)
    except SQLAlchemyError as exc:
        return [Check("database", False, f"unreachable ({type(exc).__name__})")]
    checks = [Check("database", True, "reachable")]
    steps: list[tuple[str, Callable[[], list[Check]]]] = [
        ("migrations", lambda: [_migrations(engine)]),
        ("heartbeats", lambda: _heartbeats(engine, now, require, max_heartbeat_age)),
        ("outbox", lambda: [_outbox(engine, now, max_outbox_wait)]),
    ]
    for name, step in steps:
        try:
            checks.extend(step())
        except SQLAlchemyError as exc:
            checks.append(Check(name, False, f"could not be read ({type(exc).__name__})"))
    return checks


def _migrations(engine: Engine) -> Check:
    head = ScriptDirectory(str(MIGRATIONS)).get_current_head()
    current = current_revision(engine)
    if current == head:
        return Check("migrations", True, f"at head {head}")
    where = f"at {current}" if current else "never migrated"
    return Check("migrations", False, f"{where}, code expects {head}; run `uptake db upgrade`")


def _heartbeats(
    engine: Engine, now: dt.datetime, require: Collection[str], max_age: dt.timedelta
) -> list[Check]:
    with open_session(engine) as session:
        beats = {beat.process: beat for beat in ops.heartbeats(session)}
    checks = []
    for process in sorted(set(require) | set(beats)):
        beat = beats.get(process)
        if beat is None:
            checks.append(Check(process, False, "not running (it has never sent a heartbeat)"))
            continue
        age = now - beat.beat_at
        where = f"on {beat.host} (pid {beat.pid})"
        if age <= max_age:
            checks.append(Check(process, True, f"beat {_span(age)} ago {where}"))
        else:
            checks.append(
                Check(
                    process,
                    False,
                    f"last beat {_span(age)} ago {where}, limit {_span(max_age)}: "
                    "it has stopped or cannot reach the database",
                )
            )
    return checks


def _outbox(engine: Engine, now: dt.datetime, max_wait: dt.timedelta) -> Check:
    with open_session(engine) as session:
        oldest_due = ops.oldest_due_message(session, now=now)
    if oldest_due is None:
        return Check("outbox", True, "no message waiting")
    wait = now - oldest_due
    if wait < max_wait:
        return Check("outbox", True, f"oldest due message waiting {_span(wait)}")
    return Check(
        "outbox",
        False,
        f"oldest due message waiting {_span(wait)}, limit {_span(max_wait)}: "
        "is the clock running with SLACK_BOT_TOKEN?",
    )


def _span(delta: dt.timedelta) -> str:
    seconds = max(0, int(delta.total_seconds()))
    if seconds < 120:
        return f"{seconds}s"
    minutes = seconds // 60
    if minutes < 120:
        return f"{minutes}m"
    hours = minutes // 60
    return f"{hours}h" if hours < 48 else f"{hours // 24}d"
