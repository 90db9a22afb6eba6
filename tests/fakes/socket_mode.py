"""A fake Slack Socket Mode server: a real WebSocket on 127.0.0.1 speaking Slack's protocol.

The protocol (Slack's "Socket Mode implementation" guide; ``slack_sdk/socket_mode``):

1. The app calls ``apps.connections.open`` with its app-level token (``xapp-…``) and gets a
   one-use URL, ``wss://…/link/?ticket=…&app_id=…`` (here ``ws://127.0.0.1:PORT/link/?…``).
2. It opens a WebSocket there and Slack sends ``{"type": "hello", "num_connections": N, …}``.
3. Slack sends envelopes, ``{"envelope_id", "type": "slash_commands" | "interactive" |
   "events_api", "payload", "accepts_response_payload"}``; the app acknowledges each one with
   ``{"envelope_id": …}`` (plus ``"payload"`` when it answers in the ack) within 3 seconds.
4. Before retiring a connection Slack sends ``{"type": "disconnect", "reason":
   "refresh_requested"}`` (``"warning"`` some seconds before; ``"link_disabled"`` when Socket
   Mode is switched off); the app opens a new connection and drops the old one.

Attach it to a :class:`~tests.fakes.slack_api.FakeSlackAPI` so that ``apps.connections.open``
hands out its URLs::

    with FakeSlackAPI() as api, FakeSocketMode(api) as slack:
        # run `uptake socket` with SLACK_API_URL=api.url and SLACK_APP_TOKEN=xapp-…
        slack.wait_connected()
        envelope = slack.slash_command({"command": "/myusage", …})
        assert slack.wait_ack(envelope.envelope_id).payload is None

Tickets are one-use, as Slack's are: a handshake with an unknown or spent ticket is refused
with HTTP 401, so every reconnection must go through ``apps.connections.open`` again.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from dataclasses import dataclass, field
from http import HTTPStatus
from socket import SHUT_RDWR
from types import TracebackType
from typing import Any, Self
from urllib.parse import parse_qs, urlsplit

from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response
from websockets.sync.server import Server, ServerConnection, serve

from tests.fakes.slack_api import APP_ID, FakeSlackAPI

#: What Slack names itself in ``debug_info.host``.
HOST = "applink-fake-1"
ENVELOPE_TYPES = frozenset({"slash_commands", "interactive", "events_api"})


@dataclass
class Connection:
    """One WebSocket connection the app opened (numbered from 1 in order of opening)."""

    number: int
    ticket: str
    socket: ServerConnection = field(repr=False)
    opened_at: float
    closed_at: float | None = None

    @property
    def is_open(self) -> bool:
        return self.closed_at is None


@dataclass(frozen=True)
class Envelope:
    """An envelope the fake sent, on the connection numbered ``connection``."""

    envelope_id: str
    type: str
    payload: dict[str, Any]
    connection: int
    sent_at: float


@dataclass(frozen=True)
class Ack:
    """The app's acknowledgement of an envelope; ``payload`` is None when it carried none."""

    envelope_id: str
    payload: dict[str, Any] | None
    connection: int
    received_at: float


class FakeSocketMode:
    """A WebSocket server on a free 127.0.0.1 port that behaves like Slack's Socket Mode."""

    def __init__(self, api: FakeSlackAPI | None = None, *, app_id: str = APP_ID) -> None:
        self.app_id = app_id
        self._cond = threading.Condition()
        self._server: Server | None = None
        self._thread: threading.Thread | None = None
        self._issued: set[str] = set()
        self._spent: set[str] = set()
        #: Every connection the app opened, oldest first.
        self.connections: list[Connection] = []
        #: Every envelope sent, oldest first.
        self.envelopes: list[Envelope] = []
        #: Every acknowledgement received, oldest first.
        self.acks: list[Ack] = []
        #: Every text message received from the app (acknowledgements included), parsed.
        self.received: list[dict[str, Any]] = []
        #: Handshakes refused for an unknown or spent ticket.
        self.refused = 0
        if api is not None:
            api.socket_mode_url = self.open_url

    # ---- lifecycle -------------------------------------------------------------------------

    def start(self) -> Self:
        """Listen on a free loopback port and serve from a daemon thread."""
        if self._server is None:
            self._server = serve(
                self._serve_connection,
                "127.0.0.1",
                0,
                process_request=self._check_ticket,
                compression=None,
            )
            self._thread = threading.Thread(
                target=self._server.serve_forever, name="FakeSocketMode", daemon=True
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        """Close every connection and stop listening."""
        server, thread = self._server, self._thread
        self._server = self._thread = None
        if server is None:
            return
        with self._cond:
            sockets = [c.socket for c in self.connections if c.is_open]
        for socket in sockets:
            socket.close()
        server.shutdown()
        if thread is not None:
            thread.join(timeout=5)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("FakeSocketMode is not running; call start() first")
        return int(self._server.socket.getsockname()[1])

    def open_url(self) -> str:
        """A new one-use connection URL, as ``apps.connections.open`` returns it."""
        ticket = uuid.uuid4().hex
        with self._cond:
            self._issued.add(ticket)
        return f"ws://127.0.0.1:{self.port}/link/?ticket={ticket}&app_id={self.app_id}"

    # ---- what the test does ----------------------------------------------------------------

    def send(
        self,
        type: str,
        payload: dict[str, Any],
        *,
        accepts_response_payload: bool | None = None,
        timeout: float = 5.0,
    ) -> Envelope:
        """Send an envelope on the newest open connection (waiting up to ``timeout`` for one)."""
        if type not in ENVELOPE_TYPES:
            raise ValueError(f"unknown envelope type {type!r}")
        if accepts_response_payload is None:
            # Slack lets the ack carry an answer for commands and interactivity, not events.
            accepts_response_payload = type != "events_api"
        connection = self.wait_connected(timeout=timeout)
        envelope = Envelope(uuid.uuid4().hex, type, payload, connection.number, time.monotonic())
        message: dict[str, Any] = {
            "envelope_id": envelope.envelope_id,
            "type": type,
            "payload": payload,
            "accepts_response_payload": accepts_response_payload,
        }
        if type == "events_api":
            message.update(retry_attempt=0, retry_reason="")
        with self._cond:
            self.envelopes.append(envelope)
        connection.socket.send(json.dumps(message))
        return envelope

    def slash_command(self, payload: dict[str, Any]) -> Envelope:
        """Send a slash command (the same fields as its HTTP form body)."""
        return self.send("slash_commands", payload)

    def interactive(self, payload: dict[str, Any]) -> Envelope:
        """Send an interactivity payload (``block_actions``, ``view_submission``…)."""
        return self.send("interactive", payload)

    def event(self, event: dict[str, Any], *, team_id: str = "T0TEST") -> Envelope:
        """Send an Events API ``event_callback`` wrapping ``event``."""
        return self.send(
            "events_api",
            {
                "token": "unused-in-socket-mode",
                "team_id": team_id,
                "api_app_id": self.app_id,
                "event": event,
                "type": "event_callback",
                "event_id": "Ev" + uuid.uuid4().hex[:10].upper(),
                "event_time": int(time.time()),
                "authorizations": [{"team_id": team_id, "user_id": "U0BOT", "is_bot": True}],
            },
        )

    def disconnect(self, reason: str = "refresh_requested") -> Connection:
        """Ask the app to leave the newest open connection, as Slack does before a refresh."""
        connection = self.wait_connected()
        message = {"type": "disconnect", "reason": reason, "debug_info": {"host": HOST}}
        connection.socket.send(json.dumps(message))
        return connection

    def drop(self) -> Connection:
        """Close the newest open connection from Slack's side, without warning."""
        connection = self.wait_connected()
        connection.socket.close(code=1001, reason="going away")
        return connection

    def cut(self) -> Connection:
        """End the newest open connection's TCP stream with no WebSocket close, as a crash does."""
        connection = self.wait_connected()
        connection.socket.socket.shutdown(SHUT_RDWR)
        return connection

    # ---- waiting ---------------------------------------------------------------------------

    def wait_connected(self, count: int = 1, timeout: float = 5.0) -> Connection:
        """The newest open connection once at least ``count`` have been opened."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                open_ones = [c for c in self.connections if c.is_open]
                if len(self.connections) >= count and open_ones:
                    return open_ones[-1]
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(
                        f"FakeSocketMode: wanted {count} connection(s) and one open within "
                        f"{timeout}s; opened {len(self.connections)}, {len(open_ones)} open, "
                        f"{self.refused} refused"
                    )
                self._cond.wait(remaining)

    def wait_closed(self, connection: Connection, timeout: float = 5.0) -> None:
        """Wait until the app (or the fake) has closed ``connection``."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while connection.is_open:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"connection {connection.number} still open")
                self._cond.wait(remaining)

    def wait_ack(self, envelope_id: str, timeout: float = 5.0) -> Ack:
        """The app's acknowledgement of ``envelope_id``, waiting up to ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for ack in self.acks:
                    if ack.envelope_id == envelope_id:
                        return ack
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(
                        f"FakeSocketMode: no ack for {envelope_id} within {timeout}s; "
                        f"received {self.received!r}"
                    )
                self._cond.wait(remaining)

    # ---- the server side -------------------------------------------------------------------

    def _check_ticket(self, socket: ServerConnection, request: Request) -> Response | None:
        split = urlsplit(request.path)
        ticket = (parse_qs(split.query).get("ticket") or [""])[0]
        with self._cond:
            if split.path == "/link/" and ticket in self._issued - self._spent:
                self._spent.add(ticket)
                return None
            self.refused += 1
        return socket.respond(HTTPStatus.UNAUTHORIZED, "invalid or spent ticket\n")

    def _serve_connection(self, socket: ServerConnection) -> None:
        path = socket.request.path if socket.request is not None else ""
        ticket = (parse_qs(urlsplit(path).query).get("ticket") or [""])[0]
        connection: Connection | None = None
        with self._cond:
            open_count = 1 + sum(c.is_open for c in self.connections)
        hello = {
            "type": "hello",
            "num_connections": open_count,
            "debug_info": {
                "host": HOST,
                "build_number": 1,
                "approximate_connection_time": 18060,
            },
            "connection_info": {"app_id": self.app_id},
        }
        try:
            socket.send(json.dumps(hello))
            with self._cond:  # listed once greeted, so nothing is sent before the hello
                connection = Connection(len(self.connections) + 1, ticket, socket, time.monotonic())
                self.connections.append(connection)
                self._cond.notify_all()
            for message in socket:
                self._receive(connection, message)
        except ConnectionClosed:
            pass
        finally:
            with self._cond:
                if connection is not None:
                    connection.closed_at = time.monotonic()
                self._cond.notify_all()

    def _receive(self, connection: Connection, message: str | bytes) -> None:
        try:
            parsed = json.loads(message)
        except ValueError:
            parsed = {"unparsable": message if isinstance(message, str) else message.hex()}
        if not isinstance(parsed, dict):
            parsed = {"unexpected": parsed}
        with self._cond:
            self.received.append(parsed)
            envelope_id = parsed.get("envelope_id")
            if isinstance(envelope_id, str):
                payload = parsed.get("payload")
                self.acks.append(
                    Ack(
                        envelope_id,
                        payload if isinstance(payload, dict) else None,
                        connection.number,
                        time.monotonic(),
                    )
                )
            self._cond.notify_all()
