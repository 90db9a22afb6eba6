"""A small fake HTTP API server for vendor tests: routes, recorded requests, injected faults.

Each vendor's fake (GitHub, Anthropic, OpenAI, Cursor) registers routes on a `FakeVendorAPI`
and serves the vendor's own published payloads over real HTTP on 127.0.0.1.
"""

from __future__ import annotations

import json
import re
import sys
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Self
from urllib.parse import parse_qs, urlencode, urlsplit

from tests.fakes.slack_api import Hang, Malformed, RateLimited, ServerError, Slow


@dataclass(frozen=True)
class Truncated:
    """Announce the full body length but send only half of it, then close the connection."""


@dataclass(frozen=True)
class Status:
    """Answer with this status and body instead of the route's reply (e.g. 403 expired link)."""

    status: int
    body: Any = None


@dataclass(frozen=True)
class Huge:
    """A 200 JSON body of `size` bytes, sent in 1 MB chunks, with or without Content-Length."""

    size: int
    declare_length: bool = True


VendorFault = RateLimited | ServerError | Slow | Malformed | Hang | Truncated | Status | Huge

# Query parameters that carry a page or cursor, ignored while paging forever.
_PAGING_PARAMS = frozenset({"page", "after", "cursor"})


@dataclass
class VendorRequest:
    """One request the fake received."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: Any
    raw_body: bytes

    def arg(self, name: str, default: str | None = None) -> str | None:
        """The first value of a query parameter."""
        values = self.query.get(name)
        return values[0] if values else default


@dataclass
class Reply:
    """What a route answers."""

    body: Any = None
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/json"


Route = Callable[[VendorRequest], Reply]


class FakeVendorAPI:
    """A threaded HTTP server on 127.0.0.1 with routes and per-route fault queues."""

    def __init__(self) -> None:
        self._routes: list[tuple[str, re.Pattern[str], Route]] = []
        self._faults: dict[str, deque[VendorFault]] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self.requests: list[VendorRequest] = []
        self._forever: dict[str, bool] = {}
        self._pages_served = 0
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- set-up ------------------------------------------------------------------------------

    def route(self, method: str, path_pattern: str, handler: Route) -> None:
        """Answer METHOD requests whose path fully matches `path_pattern` (a regex)."""
        self._routes.append((method.upper(), re.compile(path_pattern), handler))

    def fail_next(self, path_prefix: str, fault: VendorFault, times: int = 1) -> None:
        """Make the next `times` requests whose path starts with `path_prefix` fail."""
        with self._lock:
            self._faults.setdefault(path_prefix, deque()).extend([fault] * times)

    def page_forever(self, path_prefix: str, *, link: bool = False) -> None:
        """Answer every page under `path_prefix` as if another one followed, with a fresh cursor.

        The first page is the route's own; later ones are its first page with the list
        emptied. A JSON body's `has_more` becomes true and its `next_page`/`last_id` new;
        with `link`, a `Link: rel="next"` header points at a new page number.
        """
        with self._lock:
            self._forever[path_prefix] = link

    # -- inspection --------------------------------------------------------------------------

    def calls(self, path_prefix: str = "") -> list[VendorRequest]:
        """Recorded requests whose path starts with `path_prefix`."""
        with self._lock:
            return [r for r in self.requests if r.path.startswith(path_prefix)]

    @property
    def url(self) -> str:
        """Base URL, no trailing slash."""
        assert self._server is not None, "not started"
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> Self:
        """Serve on a free port in a daemon thread."""
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body go out in separate writes: without this, Nagle's algorithm
            # and the client's delayed ACK add 40 ms to every keep-alive request.
            disable_nagle_algorithm = True

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                fake._handle(self)

            do_POST = do_GET
            do_PUT = do_GET
            do_DELETE = do_GET

        class Server(ThreadingHTTPServer):
            def handle_error(self, request: Any, client_address: Any) -> None:
                # A client that timed out and hung up is what a timeout test wants.
                if not isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
                    super().handle_error(request, client_address)

        self._server = Server(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and release hung requests."""
        self._stop.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- serving -----------------------------------------------------------------------------

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        split = urlsplit(handler.path)
        length = int(handler.headers.get("Content-Length") or 0)
        raw = handler.rfile.read(length) if length else b""
        try:
            body: Any = json.loads(raw) if raw else None
        except ValueError:
            body = raw.decode(errors="replace")
        request = VendorRequest(
            method=handler.command,
            path=split.path,
            query=parse_qs(split.query),
            headers={k.lower(): v for k, v in handler.headers.items()},
            body=body,
            raw_body=raw,
        )
        with self._lock:
            self.requests.append(request)
            fault = None
            for prefix, queue in self._faults.items():
                if request.path.startswith(prefix) and queue:
                    fault = queue.popleft()
                    break
        if fault is not None and self._apply(handler, fault):
            return
        forever = [
            link for prefix, link in self._forever.items() if request.path.startswith(prefix)
        ]
        if forever:
            request = replace(
                request, query={k: v for k, v in request.query.items() if k not in _PAGING_PARAMS}
            )
        for method, pattern, route in self._routes:
            if method == request.method and pattern.fullmatch(request.path):
                reply = route(request)
                self._send(
                    handler, self._another_page(request, reply, forever[0]) if forever else reply
                )
                return
        self._send(handler, Reply({"message": "Not Found"}, status=404))

    def _another_page(self, request: VendorRequest, reply: Reply, link: bool) -> Reply:
        with self._lock:
            self._pages_served += 1
            n = self._pages_served
        body = json.loads(json.dumps(reply.body))
        if isinstance(body, dict):
            if n > 1:
                for key, value in body.items():
                    if isinstance(value, list):
                        body[key] = []
            if "has_more" in body:
                body["has_more"] = True
            for key in ("next_page", "last_id"):
                if key in body or ("has_more" in body and key == "next_page"):
                    body[key] = f"endless-{n}"
        headers = dict(reply.headers)
        if link:
            query = {k: v[0] for k, v in request.query.items()}
            query["page"] = str(n + 1)
            headers["Link"] = f'<{self.url}{request.path}?{urlencode(query)}>; rel="next"'
        return replace(reply, body=body, headers=headers)

    def _apply(self, handler: BaseHTTPRequestHandler, fault: VendorFault) -> bool:
        """Carry out a fault; True when the request has been answered."""
        if isinstance(fault, Huge):
            handler.send_response(200)
            handler.send_header("Content-Type", "application/json")
            if fault.declare_length:
                handler.send_header("Content-Length", str(fault.size))
            handler.send_header("Connection", "close")
            handler.end_headers()
            handler.close_connection = True
            chunk = b'{"data": [' + b" " * (1024 * 1024 - 10)
            sent = 0
            try:
                while sent < fault.size:
                    piece = chunk[: fault.size - sent]
                    handler.wfile.write(piece)
                    sent += len(piece)
                    chunk = b" " * len(chunk)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client refused the rest, as it should
            return True
        if isinstance(fault, RateLimited):
            self._send(
                handler,
                Reply(
                    {"error": "Too Many Requests", "message": "Rate limit exceeded."},
                    status=429,
                    headers={"Retry-After": str(fault.retry_after)},
                ),
            )
        elif isinstance(fault, ServerError):
            self._send(handler, Reply("<html>server error</html>", fault.status, {}, "text/html"))
        elif isinstance(fault, Status):
            self._send(handler, Reply(fault.body, status=fault.status))
        elif isinstance(fault, Malformed):
            self._send(handler, Reply('{"data": [{"broken', content_type="application/json"))
        elif isinstance(fault, Truncated):
            data = b'{"data": [' + b"1," * 200 + b"1]}"
            handler.send_response(200)
            handler.send_header("Content-Type", "application/json")
            handler.send_header("Content-Length", str(len(data)))
            handler.send_header("Connection", "close")
            handler.end_headers()
            handler.wfile.write(data[: len(data) // 2])
            handler.wfile.flush()
            handler.close_connection = True
        elif isinstance(fault, Slow):
            time.sleep(fault.seconds)
            return False
        elif isinstance(fault, Hang):
            self._stop.wait(30)
            handler.close_connection = True
        return True

    @staticmethod
    def _send(handler: BaseHTTPRequestHandler, reply: Reply) -> None:
        if reply.body is None:
            data = b""
        elif isinstance(reply.body, bytes):
            data = reply.body
        elif isinstance(reply.body, str):
            data = reply.body.encode()
        else:
            data = json.dumps(reply.body).encode()
        handler.send_response(reply.status)
        if reply.status != 204:
            handler.send_header("Content-Type", reply.content_type)
            handler.send_header("Content-Length", str(len(data)))
        for name, value in reply.headers.items():
            handler.send_header(name, value)
        handler.end_headers()
        if reply.status != 204 and data:
            handler.wfile.write(data)
