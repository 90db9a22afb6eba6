"""Heartbeats: the long-running processes note they are alive, so `uptake health` can tell.

The web process needs none: its platform probes `/healthz`. The clock beats from a job, which
also proves its scheduler still runs jobs; the Socket Mode worker beats from a thread, and only
while its connection to Slack is up.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from storage import ops
from storage.engine import session as open_session
from storage.models import utcnow

logger = logging.getLogger(__name__)

#: The processes that beat, by the name `uptake health --require` takes.
PROCESSES = ("clock", "socket")
EVERY = dt.timedelta(minutes=1)


def beat(engine: Engine, process: str, *, now: dt.datetime) -> None:
    """Record that `process` on this host is alive at `now`."""
    with open_session(engine) as session:
        ops.record_heartbeat(session, process, host=socket.gethostname(), pid=os.getpid(), at=now)
        session.commit()


@contextmanager
def beating(
    engine: Engine,
    process: str,
    *,
    every: dt.timedelta = EVERY,
    alive: Callable[[], bool] = lambda: True,
) -> Iterator[None]:
    """Beat for `process` from a background thread while the block runs, whenever `alive()`."""
    stop = threading.Event()

    def run() -> None:
        while True:
            if alive():
                try:
                    beat(engine, process, now=utcnow())
                except SQLAlchemyError as exc:  # a missed beat is what health reports; go on
                    logger.warning("heartbeat %s: not recorded (%s)", process, type(exc).__name__)
            if stop.wait(every.total_seconds()):
                return

    thread = threading.Thread(target=run, name=f"heartbeat-{process}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=10)
