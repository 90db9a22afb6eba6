"""Replay checks in batches: one database statement for every Slack request waiting on one.

Each accepted request's signature is recorded in the database before its ack (see
bot/gateway/gate.py), so a copy sent to any web process inside the five-minute window is
refused. One statement per request cost about 1 ms of CPU each (a pooled connection, its
liveness check, the statement and its result), all of it in the interpreter the acks share:
in a burst of a hundred requests that alone held the last ack back by a tenth of a second.
Here one thread records every check waiting when it is free in a single statement, so a burst
costs a few statements, and a lone request still one.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass

from sqlalchemy.engine import Engine

from storage.replay import forget_requests_before, remember_requests

logger = logging.getLogger(__name__)

#: Slack refuses to sign for, and Bolt refuses, timestamps further than this from now.
WINDOW_SECONDS = 5 * 60
#: Old signatures are purged at most this often per process.
PURGE_EVERY_SECONDS = 60
#: Replay checks waiting for the database at once; more are refused with 503.
MAX_PENDING_CHECKS = 256
#: Most checks recorded by one statement.
BATCH = 200


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why a request was refused, and the HTTP status it gets."""

    status: int
    reason: str


_Check = tuple[str, int, "Future[Refusal | None]"]


class ReplayChecks:
    """Records accepted signatures; each check's future is a refusal if it was seen before."""

    def __init__(self, engine: Engine, *, clock: Callable[[], float] = time.time) -> None:
        self._autocommit = engine.execution_options(isolation_level="AUTOCOMMIT")
        self._clock = clock
        self._next_purge = 0.0
        self._lock = threading.Lock()
        self._pending = 0
        self._queue: queue.SimpleQueue[_Check | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._closed = False

    def check(self, signature: str, timestamp: int) -> Future[Refusal | None]:
        """Queue the check of one accepted request; its future says whether it is a replay."""
        verdict: Future[Refusal | None] = Future()
        with self._lock:
            if self._closed:
                verdict.set_result(Refusal(503, "shutting down"))
                return verdict
            if self._pending >= MAX_PENDING_CHECKS:
                verdict.set_result(Refusal(503, "too many requests waiting for the database"))
                return verdict
            self._pending += 1
            if self._thread is None:  # started on first use: nothing runs for an idle gate
                self._thread = threading.Thread(target=self._run, name="uptake-replay", daemon=True)
                self._thread.start()
        self._queue.put((signature, timestamp, verdict))
        return verdict

    def close(self) -> None:
        """Decide the checks already queued, then stop the thread."""
        with self._lock:
            self._closed = True
            thread = self._thread
        if thread is not None:
            self._queue.put(None)
            thread.join()

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            batch, stop = [first], False
            while len(batch) < BATCH:
                try:
                    more = self._queue.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    stop = True
                    break
                batch.append(more)
            self._decide(batch)
            if stop:
                return

    def _decide(self, batch: list[_Check]) -> None:
        verdicts: list[Refusal | None]
        try:
            fresh = self._record(batch)
        except Exception as exc:  # any failure refuses the batch: a dead thread would hang acks
            logger.error("could not check Slack requests for replay (%s)", type(exc).__name__)
            verdicts = [Refusal(503, "database unavailable")] * len(batch)
        else:
            verdicts, decided = [], set()
            for signature, _, _ in batch:  # of two copies in one batch, the first is accepted
                first = signature in fresh and signature not in decided
                decided.add(signature)
                verdicts.append(
                    None if first else Refusal(401, "replay of a request already accepted")
                )
        with self._lock:
            self._pending -= len(batch)
        for (_, _, future), verdict in zip(batch, verdicts, strict=True):
            future.set_result(verdict)

    def _record(self, batch: list[_Check]) -> set[str]:
        now = self._clock()
        # Each statement its own transaction: one round trip for the acks to wait on.
        with self._autocommit.connect() as connection:
            if now >= self._next_purge:
                self._next_purge = now + PURGE_EVERY_SECONDS
                # A signature whose timestamp left the window can never verify again.
                forget_requests_before(connection, int(now) - WINDOW_SECONDS)
            return remember_requests(connection, [(s, t) for s, t, _ in batch])
