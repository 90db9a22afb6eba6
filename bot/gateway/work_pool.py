"""Acks never wait for work: Slack requests are acknowledged at once, answered on a bounded pool.

Bolt runs each listener on its `listener_executor` and holds the request until the listener
calls `ack()`. A listener that is still queued behind others cannot ack, so under load acks
wait for work. Here a global middleware acknowledges slash commands, button clicks and events
on the request thread before the listener is queued; the listener's own `ack()` is then a
no-op and its answer goes out through `response_url` or the Web API, as it always did.

The pool has WORK_THREADS threads and room for WORK_QUEUE waiting requests. When it is full a
slash command's ack says "busy, try again" (Slack shows an ack's text to the person who typed
the command), a click gets the same through its `response_url`, and an event is dropped, so
work never piles up past what can still be answered in time.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from slack_bolt import BoltRequest, BoltResponse
from slack_sdk.webhook import WebhookClient

logger = logging.getLogger(__name__)

BUSY_TEXT = (
    "Uptake is busy answering a lot of requests right now and did not start on yours. "
    "Please try again in a minute."
)
#: Context key of a request whose HTTP ack was sent before Bolt saw it.
ACKED_ALREADY = "uptake_acked_already"
#: The longest work waits for acks in progress before it starts (`WorkPool.acking`).
ACK_PRIORITY_SECONDS = 0.5
#: Work starts only once no ack has been in progress for this long: a burst of requests
#: reaches the request threads a few at a time, and work let in between two of them would
#: hold every later ack back.
ACK_QUIET_SECONDS = 0.03
# How long a click's busy notice may hold the request thread (its ack waits for it).
BUSY_NOTICE_TIMEOUT_SECONDS = 1


_running_whole = threading.local()
_request_thread = threading.local()


class WorkPool(ThreadPoolExecutor):
    """A fixed number of threads and a bounded backlog of listener work.

    `has_room` is checked before a request is acked and queued; between the check and the
    queueing other request threads may queue theirs, so the backlog can exceed `queue` by at
    most the number of request threads: still bounded.
    """

    def __init__(self, threads: int, queue: int) -> None:
        super().__init__(max_workers=threads, thread_name_prefix="uptake-work")
        self.capacity = threads + queue
        #: True once shut down: work that follows answers (a person's chart) stops too.
        self.closed = False
        self._lock = threading.Lock()
        self._pending = 0
        self._acking = 0
        self._last_ack = 0.0
        self._acks_done = threading.Condition(self._lock)

    @property
    def pending(self) -> int:
        """Listener runs queued or running."""
        with self._lock:
            return self._pending

    def has_room(self) -> bool:
        """Whether one more request can be taken on."""
        return self.pending < self.capacity

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        """Queue `fn`, counting it as pending until it finishes.

        Called from inside work queued with `submit_whole`, `fn` runs there and then instead.
        """
        if getattr(_running_whole, "pool", None) is self:
            done: Future[Any] = Future()
            try:
                done.set_result(fn(*args, **kwargs))
            except BaseException as exc:  # as an executor would: the caller reads the future
                done.set_exception(exc)
            return done
        with self._lock:
            self._pending += 1
        # Work its own request thread waits on (a form's answer) is part of that ack: it must
        # not wait for acks in progress, its own among them.
        waited_on = getattr(_request_thread, "waits", False)
        try:
            future = (
                super().submit(fn, *args, **kwargs)
                if waited_on
                else super().submit(self._after_acks, fn, *args, **kwargs)
            )
        except BaseException:
            self._finished(None)
            raise
        future.add_done_callback(self._finished)
        return future

    @contextlib.contextmanager
    def acking(self) -> Iterator[None]:
        """While a request thread acks a request, work not yet started waits (a little).

        Python runs one thread at a time: work running beside a burst of acks slows every ack
        (Slack wants each within 3 s). Work waits until no ack has been in progress for
        ACK_QUIET_SECONDS, at most ACK_PRIORITY_SECONDS each time, then starts regardless.
        """
        with self._lock:
            self._acking += 1
        try:
            yield
        finally:
            with self._lock:
                self._acking -= 1
                self._last_ack = time.monotonic()
                if not self._acking:
                    self._acks_done.notify_all()

    @staticmethod
    @contextlib.contextmanager
    def answering() -> Iterator[None]:
        """The calling request thread waits for the work it queues now before it answers Slack
        (a form submission's answer comes from its listener): that work starts at once."""
        _request_thread.waits = True
        try:
            yield
        finally:
            _request_thread.waits = False

    def _after_acks(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
        deadline = time.monotonic() + ACK_PRIORITY_SECONDS
        with self._acks_done:
            while (left := deadline - (now := time.monotonic())) > 0:
                if self._acking:
                    self._acks_done.wait(left)
                    continue
                quiet = self._last_ack + ACK_QUIET_SECONDS - now
                if quiet <= 0:
                    break
                self._acks_done.wait(min(left, quiet))
        return fn(*args, **kwargs)

    def submit_whole(self, fn: Callable[..., Any], /, *args: Any) -> Future[Any]:
        """Queue `fn` as one piece of work: what it queues on this pool runs inside it.

        The web layer queues Bolt's whole dispatch of a request this way (bot/gateway/wsgi.py), so a
        request is one pending piece of work, as it is when Bolt queues only the listener.
        """

        def whole() -> Any:
            _running_whole.pool = self
            try:
                return fn(*args)
            finally:
                _running_whole.pool = None

        return self.submit(whole)

    def _finished(self, _future: Future[Any] | None) -> None:
        with self._lock:
            self._pending -= 1

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """Stop taking work, and mark the pool closed."""
        self.closed = True
        super().shutdown(wait=wait, cancel_futures=cancel_futures)


def ack_first(pool: WorkPool) -> Callable[..., BoltResponse | None]:
    """A global Bolt middleware: ack commands, clicks and events now, or say busy."""

    def acknowledge_now(
        req: BoltRequest, resp: BoltResponse, next: Callable[[], BoltResponse]
    ) -> BoltResponse | None:
        if req.context.get(ACKED_ALREADY):
            return (
                next()
            )  # the web layer answered Slack and queued this request (bot/gateway/wsgi.py)
        kind = _kind(req.body)
        if kind is None:
            # Anything else (none registered today) may need to ack with content: its
            # listener acks on the pool, as Bolt does by default.
            return next()
        ack = req.context.ack
        if pool.has_room():
            ack()
            return next()
        logger.warning("work pool full (%d pending): answered busy to a %s", pool.pending, kind)
        if kind == "command":
            return ack(text=BUSY_TEXT, response_type="ephemeral")
        if kind == "click":
            _tell_busy(req.body.get("response_url"))
        return ack()

    return acknowledge_now


def _kind(body: dict[str, Any]) -> str | None:
    """What a request is, for the ack: a slash command, a button click, an event, or other."""
    if "command" in body:
        return "command"
    if body.get("type") == "block_actions":
        return "click"
    if body.get("type") == "event_callback":
        return "event"
    return None


def _tell_busy(response_url: str | None) -> None:
    """Best effort: the click is acked either way; the person may simply click again."""
    if not response_url:
        return
    try:
        WebhookClient(response_url, timeout=BUSY_NOTICE_TIMEOUT_SECONDS).send(
            text=BUSY_TEXT, response_type="ephemeral", replace_original=False
        )
    except Exception:  # a notice about a refusal must never fail the ack
        logger.warning("could not send the busy notice", exc_info=True)
