"""The work pool: work waits for acks in progress, and a whole dispatch is one piece of work."""

from __future__ import annotations

import threading
import time

from bot.gateway.work_pool import ACK_PRIORITY_SECONDS, ACK_QUIET_SECONDS, WorkPool


def test_work_waits_for_an_ack_in_progress_then_starts() -> None:
    pool = WorkPool(threads=2, queue=4)
    started = threading.Event()
    try:
        with pool.acking():
            pool.submit(started.set)
            assert not started.wait(0.1)  # an ack is being sent: the work has not started
        assert started.wait(5)
    finally:
        pool.shutdown(wait=True)


def test_work_does_not_start_in_a_gap_between_two_acks_of_a_burst() -> None:
    """A burst reaches the request threads a few at a time: work let in between two acks
    would hold every later ack back (it failed on the pool that only waited for acks in
    progress: the work ran in the gap)."""
    pool = WorkPool(threads=2, queue=4)
    started: list[float] = []
    try:
        with pool.acking():
            pool.submit(lambda: started.append(time.monotonic()))
        gap_closed = time.monotonic()
        with pool.acking():  # the next ack of the burst, ACK_QUIET_SECONDS / 3 later
            time.sleep(ACK_QUIET_SECONDS / 3)
        last_ack = time.monotonic()
        deadline = time.monotonic() + 5
        while not started and time.monotonic() < deadline:
            time.sleep(0.001)
        assert started, "the work never started"
        assert started[0] >= last_ack + ACK_QUIET_SECONDS * 0.9, started[0] - gap_closed
    finally:
        pool.shutdown(wait=True)


def test_work_waits_for_acks_no_longer_than_its_bound() -> None:
    pool = WorkPool(threads=1, queue=4)
    started = threading.Event()
    try:
        with pool.acking():  # an ack that never ends, as far as the work can tell
            pool.submit(started.set)
            assert started.wait(ACK_PRIORITY_SECONDS + 5)
    finally:
        pool.shutdown(wait=True)


def test_what_a_whole_piece_of_work_queues_runs_inside_it() -> None:
    pool = WorkPool(threads=1, queue=0)
    seen: list[tuple[str, int]] = []

    def dispatch() -> str:
        seen.append(("dispatch", pool.pending))
        inner = pool.submit(lambda: seen.append(("listener", pool.pending)) or "answered")
        assert inner.done()  # ran here and then, not queued behind this very work
        return str(inner.result())

    try:
        assert pool.submit_whole(dispatch).result(timeout=5) == "answered"
    finally:
        pool.shutdown(wait=True)
    assert seen == [("dispatch", 1), ("listener", 1)]  # one piece of work, never two
    assert pool.pending == 0


def test_work_its_own_request_thread_waits_on_does_not_wait_for_acks() -> None:
    pool = WorkPool(threads=2, queue=4)
    started = threading.Event()
    try:
        with pool.acking(), pool.answering():  # a form: its answer is the listener's
            pool.submit(started.set)
            assert started.wait(ACK_PRIORITY_SECONDS / 2)  # not after waiting for itself
    finally:
        pool.shutdown(wait=True)
