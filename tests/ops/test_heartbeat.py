"""Heartbeats: the clock's job and the Socket Mode worker's thread each write their row."""

from __future__ import annotations

import datetime as dt
import os
import socket

from sqlalchemy.engine import Engine

from bot.clock import job_specs, run_job
from bot.ops.heartbeat import beating
from storage import ops
from storage.engine import session as open_session
from storage.models import Heartbeat
from tests.conftest import make_settings

NOW = dt.datetime(2026, 11, 25, 9, 0, tzinfo=dt.UTC)


def heartbeats(engine: Engine) -> list[Heartbeat]:
    with open_session(engine) as session:
        return ops.heartbeats(session)


def test_the_clocks_heartbeat_job_writes_one_row_per_process(engine: Engine) -> None:
    specs = job_specs(make_settings(), engine, client=None)

    run_job(specs, "heartbeat", NOW)
    run_job(specs, "heartbeat", NOW + dt.timedelta(minutes=1))

    [row] = heartbeats(engine)
    assert row.process == "clock"
    assert row.beat_at == NOW + dt.timedelta(minutes=1)
    assert (row.host, row.pid) == (socket.gethostname(), os.getpid())


def test_the_socket_worker_beats_only_while_connected(engine: Engine) -> None:
    with beating(engine, "socket", alive=lambda: False):
        pass
    assert heartbeats(engine) == []

    # The first beat is at once; leaving the block waits for the thread to finish it.
    with beating(engine, "socket", alive=lambda: True):
        pass
    [row] = heartbeats(engine)
    assert row.process == "socket"
    assert dt.datetime.now(dt.UTC) - row.beat_at < dt.timedelta(minutes=1)
