"""Slack's Socket Mode for the Bolt app: slack_sdk's built-in client, switching promptly.

Slack wants each envelope acknowledged within 3 seconds. The built-in client (slack_sdk 3.48)
loses that much time in three places, which this client closes:

- After Slack's `disconnect` (`refresh_requested`) it opens the new connection, then closes the
  old one under that connection's receive lock, which the reader holds in a blocking `recv` for
  up to 3 seconds; nothing reads the new connection meanwhile, so its first envelopes wait.
  Here the old socket is shut down first, which ends that `recv` at once.
- When Slack closes a connection, the client asks to reconnect while the socket still looks
  open, so nothing happens until the next health check, up to `ping_interval` later. Here the
  closed connection counts as closed, and the new one is opened at once.
- When the connection ends without a WebSocket close (Slack's side went away), its reader spins
  on empty reads until pings go unanswered for four intervals. Here the end of the stream is
  a closed connection like any other.
"""

from __future__ import annotations

import contextlib
import errno
import socket
from typing import Any

from slack_bolt import App
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_sdk.socket_mode.builtin import SocketModeClient
from slack_sdk.socket_mode.builtin.connection import Connection, ConnectionState


class StreamEnded(ConnectionResetError):
    """The other side ended the connection's stream without a WebSocket close."""

    def __init__(self) -> None:
        super().__init__(errno.ECONNRESET, "the connection ended without a WebSocket close")


class _EndAwareSocket:
    """A connected socket whose `recv` raises `StreamEnded` at the end of the stream."""

    def __init__(self, sock: Any) -> None:
        self._sock = sock

    def recv(self, size: int) -> bytes:
        data: bytes = self._sock.recv(size)
        if size and not data:
            raise StreamEnded
        return data

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sock, name)


class _Connection(Connection):
    """One WebSocket connection, which knows once it has been left for a newer one."""

    retired = False

    def connect(self) -> None:
        super().connect()
        if self.sock is not None:
            self.sock = _EndAwareSocket(self.sock)  # type: ignore[assignment]

    def retire(self) -> None:
        """Stop reading (ending a blocking `recv` at once), then close."""
        self.retired = True
        sock: Any = self.sock
        if sock is not None:
            with contextlib.suppress(OSError):  # the other side closed it already
                sock.shutdown(socket.SHUT_RDWR)
        self.close()


class PromptSocketModeClient(SocketModeClient):
    """The built-in Socket Mode client, reading a new connection as soon as it is open."""

    def connect(self) -> None:
        """Open a new connection, then leave the old one without waiting for its reader."""
        retiring, retiring_state = self.current_session, self.current_session_state
        if self.wss_uri is None:
            self.wss_uri = self.issue_new_wss_url()
        session = _Connection(
            url=self.wss_uri,
            logger=self.logger,
            ping_interval=self.ping_interval,
            trace_enabled=self.trace_enabled,
            all_message_trace_enabled=self.all_message_trace_enabled,
            ping_pong_trace_enabled=self.ping_pong_trace_enabled,
            receive_buffer_size=self.receive_buffer_size,
            proxy=self.proxy,
            proxy_headers=self.proxy_headers,
            on_message_listener=self._on_message,
            ssl_context=self.web_client.ssl,
        )
        session.on_error_listener = lambda error: self._session_error(session, error)
        session.on_close_listener = lambda code, reason: self._session_closed(session, code, reason)
        session.connect()

        retiring_state.terminated = True
        if isinstance(retiring, _Connection):
            retiring.retire()
        elif retiring is not None:
            retiring.close()
        # The reader thread takes the session, then its state: the state is set first, so the
        # new session is never read under the old (terminated) state.
        self.current_session_state = ConnectionState()  # type: ignore[no-untyped-call]
        self.current_session = session
        self.auto_reconnect_enabled = self.default_auto_reconnect_enabled
        if not self.current_app_monitor_started:
            self.current_app_monitor_started = True
            self.current_app_monitor.start()
        self.logger.info("A new session has been established (session id: %s)", self.session_id())

    def close(self) -> None:
        """Close the connection without waiting for a blocked read, and stop every thread."""
        self.auto_reconnect_enabled = False
        if isinstance(self.current_session, _Connection):
            self.current_session.retire()
        super().close()

    def _session_error(self, session: _Connection, error: Exception) -> None:
        if session.retired:  # shutting its socket down is what ended its read
            self.logger.debug("a replaced connection stopped reading: %r", error)
        elif isinstance(error, StreamEnded):
            self.logger.warning("Socket Mode connection ended without a close; reconnecting")
            self._reopen(session)
        else:
            self._on_error(error)

    def _session_closed(self, session: _Connection, code: int, reason: str | None) -> None:
        """Slack closed `session`: if it is the one in use, open a new one now."""
        if not session.retired:
            session.disconnect()  # else the reconnection below sees it open and does nothing
        self._on_close(code, reason)

    def _reopen(self, session: _Connection) -> None:
        session.disconnect()
        if self.auto_reconnect_enabled and session is self.current_session:
            self.connect_to_new_endpoint()


class PromptSocketModeHandler(SocketModeHandler):
    """Bolt's Socket Mode adapter on :class:`PromptSocketModeClient`."""

    def __init__(self, app: App, app_token: str) -> None:
        self.app = app
        self.app_token = app_token
        self.client = PromptSocketModeClient(
            app_token=app_token,
            logger=app.logger,
            web_client=app.client,
            proxy=app.client.proxy,
            ping_interval=10,  # Bolt's own handler's
        )
        self.client.socket_mode_request_listeners.append(self.handle)  # type: ignore[arg-type]
