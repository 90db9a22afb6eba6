"""A fake Slack Web API served over real HTTP, for tests.

Point a real ``slack_sdk.WebClient(token="xoxb-test", base_url=fake.url)`` at it::

    with FakeSlackAPI() as fake:
        client = WebClient(token="xoxb-test", base_url=fake.url)
        client.chat_postMessage(channel="C1", text="hi")
        assert fake.calls("chat.postMessage")[0].body["text"] == "hi"

Every request is recorded as a :class:`RecordedRequest`. Responses mimic real Slack shapes
(Slack's published Web API OpenAPI description); faults can be queued per API method
with :meth:`FakeSlackAPI.fail_next`.
"""

from __future__ import annotations

import base64
import itertools
import json
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Self
from urllib.parse import parse_qsl, urlsplit

TEAM_ID = "T0TEST"
TEAM_NAME = "Uptake Test"
TEAM_URL = "https://uptake-test.slack.com/"
BOT_USER_ID = "U0BOT"
BOT_ID = "B0BOT"
BOT_USER_NAME = "uptake"
APP_ID = "A0UPTAKE"

#: Form/JSON keys whose string values are JSON documents; they are decoded in ``body``.
JSON_ENCODED_KEYS = frozenset({"blocks", "attachments", "metadata", "view", "files"})

_TS_BASE_MICROS = 1_700_000_000_000_000
_TS_STEP_MICROS = 100


# --------------------------------------------------------------------------------------------
# Faults
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RateLimited:
    """HTTP 429 with a ``Retry-After`` header and ``{"ok": false, "error": "ratelimited"}``."""

    retry_after: int = 1


@dataclass(frozen=True)
class ServerError:
    """The given HTTP status with a short HTML body (like Slack's edge during an outage)."""

    status: int = 500


@dataclass(frozen=True)
class SlackError:
    """HTTP 200 with ``{"ok": false, "error": error}``."""

    error: str = "internal_error"


@dataclass(frozen=True)
class Slow:
    """Sleep ``seconds`` (cut short if the server stops), then answer normally."""

    seconds: float


@dataclass(frozen=True)
class Malformed:
    """HTTP 200, ``Content-Type: application/json``, body ``{"ok": tr`` (truncated JSON)."""


@dataclass(frozen=True)
class Hang:
    """Never answer; the connection is dropped (without a response) when the server stops."""


@dataclass(frozen=True)
class DropAfterRecording:
    """Carry the call out (a post is recorded), then drop the connection without answering.

    What a client sees when the connection dies after Slack accepted a request.
    """


@dataclass(frozen=True)
class AnswerLate:
    """Carry the call out at once (a post is recorded), then answer after ``seconds``.

    Cut short if the server stops or ``release`` is set; a client that times out first never
    sees the answer.
    """

    seconds: float
    release: threading.Event | None = None


Fault = (
    RateLimited
    | ServerError
    | SlackError
    | Slow
    | Malformed
    | Hang
    | DropAfterRecording
    | AnswerLate
)

ResponseFactory = Callable[["RecordedRequest"], dict[str, Any]]


# --------------------------------------------------------------------------------------------
# Recorded requests
# --------------------------------------------------------------------------------------------


class Headers(dict[str, str]):
    """A dict of HTTP headers with case-insensitive lookups (keys are stored lower-cased)."""

    def __init__(self, items: Iterable[tuple[str, str]] = ()) -> None:
        super().__init__((k.lower(), v) for k, v in items)

    def __getitem__(self, key: str) -> str:
        return super().__getitem__(key.lower())

    def __setitem__(self, key: str, value: str) -> None:
        super().__setitem__(key.lower(), value)

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and super().__contains__(key.lower())

    def get(self, key: str, default: Any = None) -> Any:
        return super().get(key.lower(), default)


@dataclass
class RecordedRequest:
    """One HTTP request received by the fake.

    ``body`` is the parsed body: a JSON object, or form fields (``str -> str``; for multipart
    bodies, file parts are ``bytes``). String values of :data:`JSON_ENCODED_KEYS` that hold JSON
    are decoded too. ``query`` holds the URL query parameters; ``params`` merges both.
    """

    method: str
    path: str
    api_method: str | None
    headers: Headers
    body: dict[str, Any]
    raw_body: bytes
    received_at: float
    query: dict[str, str] = field(default_factory=dict)

    @property
    def params(self) -> dict[str, Any]:
        """Query-string parameters overlaid with body parameters (how Slack reads arguments)."""
        return {**self.query, **self.body}

    @property
    def token(self) -> str | None:
        """The bearer token from ``Authorization``, else a ``token`` argument, else None."""
        auth = self.headers.get("authorization")
        if isinstance(auth, str):
            scheme, _, value = auth.strip().partition(" ")
            if scheme.lower() == "bearer" and value.strip():
                return value.strip()
        token = self.params.get("token")
        return token if isinstance(token, str) and token else None

    def describe(self) -> str:
        label = self.api_method or self.path
        keys = ", ".join(sorted(self.body)) or "-"
        return f"{self.method} {label} (body keys: {keys})"


def _maybe_json(value: Any) -> Any:
    if isinstance(value, str):
        stripped = value.strip()
        if stripped[:1] in ("{", "["):
            try:
                return json.loads(stripped)
            except ValueError:
                return value
    return value


def _parse_multipart(content_type: str, raw: bytes) -> dict[str, Any]:
    message = BytesParser(policy=HTTP).parsebytes(
        b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + raw
    )
    result: dict[str, Any] = {}
    if not message.is_multipart():
        return result
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str):
            continue
        payload = part.get_payload(decode=True)
        data = payload if isinstance(payload, bytes) else b""
        if part.get_filename() is not None:
            result[name] = data
        else:
            result[name] = data.decode(part.get_content_charset() or "utf-8", "replace")
    return result


def parse_body(content_type: str, raw: bytes) -> dict[str, Any]:
    """Parse a request body the way the fake records it (see :class:`RecordedRequest`)."""
    if not raw:
        return {}
    mime = content_type.split(";", 1)[0].strip().lower()
    body: dict[str, Any] = {}
    if mime == "multipart/form-data":
        body = _parse_multipart(content_type, raw)
    elif mime == "application/x-www-form-urlencoded":
        body = dict(parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True))
    elif mime.endswith("json") or raw.lstrip()[:1] == b"{":
        try:
            parsed = json.loads(raw)
        except ValueError:
            parsed = None
        body = parsed if isinstance(parsed, dict) else {}
    for key in JSON_ENCODED_KEYS & body.keys():
        body[key] = _maybe_json(body[key])
    return body


def _as_int(value: Any, default: int) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def _as_float(value: Any, default: float) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return default


def _truthy(value: Any) -> bool:
    return str(value).lower() in ("1", "true", "yes")


#: Image files an image block may show through `slack_file` (Slack: png, jpg, jpeg, gif).
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif")
MAX_ALT_TEXT = 2000


def image_block_problems(blocks: Any, files: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """Why Slack would refuse the image blocks among `blocks` (top level), as its messages.

    An image block needs alt_text (at most 2000 characters) and exactly one of image_url and
    slack_file; a slack_file names exactly one of id and url, and the file must exist, be
    an image, and be visible to the bot (here: uploaded through this fake).
    """
    problems: list[str] = []
    for index, block in enumerate(blocks if isinstance(blocks, list) else []):
        if not isinstance(block, dict) or block.get("type") != "image":
            continue
        where = f"[json-pointer:/blocks/{index}"
        alt = block.get("alt_text")
        if not isinstance(alt, str) or not alt.strip() or len(alt) > MAX_ALT_TEXT:
            problems.append(f"[ERROR] alt_text must be 1 to {MAX_ALT_TEXT} characters {where}]")
        source = block.get("slack_file")
        if ("image_url" in block) == (source is not None):
            problems.append(f"[ERROR] provide exactly one of image_url and slack_file {where}]")
            continue
        if source is None:
            continue
        if not isinstance(source, dict) or ("id" in source) == ("url" in source):
            problems.append(f"[ERROR] invalid slack file {where}/slack_file]")
            continue
        found = files.get(str(source.get("id", "")))
        if "url" in source:
            found = next(
                (
                    f
                    for f in files.values()
                    if source["url"] in (f.get("permalink"), f.get("url_private"))
                ),
                None,
            )
        if found is None or not str(found.get("name", "")).lower().endswith(IMAGE_SUFFIXES):
            problems.append(f"[ERROR] invalid slack file {where}/slack_file]")
    return problems


#: Slack's limits on a view (Home tab or modal): blocks, and a modal's title and button texts.
MAX_VIEW_BLOCKS = 100
MAX_MODAL_TITLE = 24
MAX_PRIVATE_METADATA = 3000


def view_problem(view: Any, kind: str) -> dict[str, list[str]] | None:
    """Why Slack would refuse `view` as a `kind` view ("home" or "modal"), or None."""
    messages: list[str] = []
    if not isinstance(view, dict):
        return {"messages": ["[ERROR] view must be an object"]}
    if view.get("type") != kind:
        messages.append(f"[ERROR] view type must be {kind}")
    blocks = view.get("blocks")
    if not isinstance(blocks, list) or not 0 < len(blocks) <= MAX_VIEW_BLOCKS:
        messages.append(f"[ERROR] a view holds 1 to {MAX_VIEW_BLOCKS} blocks")
    if len(str(view.get("private_metadata", ""))) > MAX_PRIVATE_METADATA:
        messages.append("[ERROR] private_metadata is too long")
    if kind == "modal":
        for key in ("title", "submit", "close"):
            text = (view.get(key) or {}).get("text")
            if key == "title" and not text:
                messages.append("[ERROR] a modal needs a title")
            if text is not None and len(str(text)) > MAX_MODAL_TITLE:
                messages.append(f"[ERROR] {key} must be at most {MAX_MODAL_TITLE} characters")
        has_input = any(
            isinstance(block, dict) and block.get("type") == "input" for block in blocks or []
        )
        if has_input and not view.get("submit"):
            messages.append("[ERROR] a modal with inputs needs a submit button")
    return {"messages": messages} if messages else None


def _dm_channel(channel: str) -> str:
    """Posting to a user id lands in the DM with that user (``conversations.open`` -> D+id)."""
    if channel[:1] in ("U", "W"):
        return "D" + channel
    return channel


# --------------------------------------------------------------------------------------------
# HTTP plumbing
# --------------------------------------------------------------------------------------------


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, fake: FakeSlackAPI) -> None:
        self.fake = fake
        super().__init__(("127.0.0.1", 0), _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients hanging up (timeouts, Hang released at shutdown) are expected; stay quiet.
        return


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.0"  # one request per connection: nothing idles at shutdown
    timeout = 30
    server_version = "FakeSlack/1.0"
    sys_version = ""

    def log_message(self, format: str, *args: Any) -> None:
        return

    def do_GET(self) -> None:
        self.server.fake._handle(self)

    do_POST = do_PUT = do_PATCH = do_DELETE = do_GET

    def read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks: list[bytes] = []
            while True:
                size = int(self.rfile.readline().split(b";", 1)[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def send(
        self,
        status: int,
        body: bytes,
        content_type: str,
        extra_headers: dict[str, str] | None = None,
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (extra_headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def send_json(
        self, payload: dict[str, Any], status: int = 200, extra: dict[str, str] | None = None
    ) -> None:
        self.send(status, json.dumps(payload).encode(), "application/json; charset=utf-8", extra)


# --------------------------------------------------------------------------------------------
# The fake
# --------------------------------------------------------------------------------------------


class FakeSlackAPI:
    """A threaded HTTP server on 127.0.0.1 that behaves enough like ``https://slack.com/api/``.

    Use as a context manager, or call :meth:`start` / :meth:`stop`.
    """

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._cond = threading.Condition(self._lock)
        self._stop_event = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

        self.requests: list[RecordedRequest] = []
        self.uploaded_files: dict[str, bytes] = {}
        #: file id -> file object, for files shared via files.completeUploadExternal
        self.completed_files: dict[str, dict[str, Any]] = {}
        #: How many more posts showing an uploaded file (an image block's slack_file) are
        #: refused as Slack refuses them while it is still processing a just-uploaded file.
        self.unready_file_posts = 0
        #: user id -> last view published to that user's App Home via views.publish
        self.published_views: dict[str, dict[str, Any]] = {}
        #: user id -> the hash of that view: a views.publish naming another hash is refused
        self._view_hashes: dict[str, str] = {}
        self.users: dict[str, dict[str, Any]] = {}
        #: Issues a Socket Mode WebSocket URL for apps.connections.open (a FakeSocketMode sets it).
        self.socket_mode_url: Callable[[], str] | None = None

        self._faults: dict[str, deque[Fault]] = {}
        self._responses: dict[str, dict[str, Any] | ResponseFactory] = {}
        self._revoked: set[str] = set()
        self._messages: dict[str, list[dict[str, Any]]] = {}
        self._pending_uploads: dict[str, dict[str, Any]] = {}
        self._ts_counter = itertools.count()
        self._id_counter = itertools.count(1)

        self._routes: dict[str, Callable[[RecordedRequest], dict[str, Any]]] = {
            "auth.test": self._auth_test,
            "apps.connections.open": self._apps_connections_open,
            "chat.postMessage": self._chat_post_message,
            "chat.postEphemeral": self._chat_post_ephemeral,
            "chat.update": self._chat_update,
            "chat.delete": self._chat_delete,
            "conversations.open": self._conversations_open,
            "conversations.history": self._conversations_history,
            "conversations.replies": self._conversations_replies,
            "views.publish": self._views_publish,
            "views.open": self._views_echo,
            "views.update": self._views_echo,
            "views.push": self._views_echo,
            "users.info": self._users_info,
            "users.lookupByEmail": self._users_lookup_by_email,
            "users.list": self._users_list,
            "files.getUploadURLExternal": self._files_get_upload_url,
            "files.completeUploadExternal": self._files_complete_upload,
            "files.info": self._files_info,
            "files.delete": self._files_delete,
        }

    # ---- lifecycle -------------------------------------------------------------------------

    def start(self) -> Self:
        """Bind a free port on 127.0.0.1 and serve in a daemon thread. Returns ``self``."""
        with self._lock:
            if self._server is not None:
                return self
            self._stop_event.clear()
            self._server = _Server(self)
            self._thread = threading.Thread(
                target=self._server.serve_forever,
                kwargs={"poll_interval": 0.05},
                name=f"FakeSlackAPI:{self.port}",
                daemon=True,
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, release any hung/slow requests and close the listening socket."""
        with self._lock:
            server, thread = self._server, self._thread
            self._server = self._thread = None
        if server is None:
            return
        self._stop_event.set()
        server.shutdown()
        server.server_close()  # joins the per-request threads
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

    # ---- addresses -------------------------------------------------------------------------

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("FakeSlackAPI is not running; call start() first")
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT`` (no trailing slash)."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        """The Web API base URL for ``WebClient(base_url=...)``: ``http://127.0.0.1:PORT/api/``."""
        return f"{self.base_url}/api/"

    def response_url(self, name: str) -> str:
        """A slash-command/interactivity ``response_url`` served (and recorded) by this fake."""
        return f"{self.base_url}/response/{name.lstrip('/')}"

    # ---- configuration ---------------------------------------------------------------------

    def fail_next(self, api_method: str, fault: Fault, times: int = 1) -> None:
        """Queue ``fault`` for the next ``times`` requests to ``api_method`` (FIFO).

        For non-API paths pass the path (``"/response/abc"``); a key ending in ``*`` matches
        any path with that prefix (``"/upload/*"``).
        """
        with self._lock:
            queue = self._faults.setdefault(api_method, deque())
            queue.extend([fault] * times)

    def set_response(
        self, api_method: str, payload: dict[str, Any] | ResponseFactory | None
    ) -> None:
        """Override the body returned by ``api_method`` (HTTP 200, JSON).

        ``payload`` may be a dict or a callable taking the :class:`RecordedRequest`.
        Pass ``None`` to restore the default behaviour.
        """
        with self._lock:
            if payload is None:
                self._responses.pop(api_method, None)
            else:
                self._responses[api_method] = payload

    def revoke_token(self, token: str) -> None:
        """Make API calls with ``token`` fail with ``invalid_auth``."""
        with self._lock:
            self._revoked.add(token)

    def add_user(
        self,
        user_id: str,
        *,
        email: str | None = None,
        real_name: str = "",
        tz: str = "Europe/London",
        tz_offset: int = 0,
        is_bot: bool = False,
        deleted: bool = False,
        name: str | None = None,
        display_name: str = "",
    ) -> dict[str, Any]:
        """Register a user for ``users.info`` / ``users.lookupByEmail`` / ``users.list``."""
        handle = name or (email.split("@", 1)[0] if email else user_id.lower())
        profile: dict[str, Any] = {
            "real_name": real_name,
            "real_name_normalized": real_name,
            "display_name": display_name,
            "display_name_normalized": display_name,
            "team": TEAM_ID,
        }
        if email is not None:
            profile["email"] = email
        if is_bot:
            profile["bot_id"] = "B" + user_id.lstrip("UW")
        user: dict[str, Any] = {
            "id": user_id,
            "team_id": TEAM_ID,
            "name": handle,
            "deleted": deleted,
            "real_name": real_name,
            "tz": tz,
            "tz_label": tz,
            "tz_offset": tz_offset,
            "is_admin": False,
            "is_owner": False,
            "is_primary_owner": False,
            "is_restricted": False,
            "is_ultra_restricted": False,
            "is_bot": is_bot,
            "is_app_user": False,
            "updated": 1_700_000_000,
            "profile": profile,
        }
        with self._lock:
            self.users[user_id] = user
        return user

    # ---- inspection ------------------------------------------------------------------------

    def calls(self, api_method: str) -> list[RecordedRequest]:
        """Recorded requests for ``api_method`` (or, if it starts with ``/``, for that path)."""
        with self._lock:
            return [r for r in self.requests if self._matches(r, api_method)]

    def channel_messages(self, channel: str) -> list[dict[str, Any]]:
        """Messages "posted" to ``channel`` via chat.postMessage, oldest first."""
        with self._lock:
            return [dict(m) for m in self._messages.get(_dm_channel(channel), [])]

    def wait_for(
        self,
        predicate_or_api_method: str | Callable[[RecordedRequest], bool],
        timeout: float = 5.0,
    ) -> RecordedRequest:
        """Return the first recorded request matching, waiting up to ``timeout`` seconds.

        A string matches ``api_method`` (or ``path`` for strings starting with ``/``).
        Raises AssertionError listing what was recorded if nothing matches in time.
        """
        predicate: Callable[[RecordedRequest], bool]
        if isinstance(predicate_or_api_method, str):
            wanted = predicate_or_api_method
            predicate = lambda r: self._matches(r, wanted)  # noqa: E731
            label = repr(wanted)
        else:
            predicate = predicate_or_api_method
            label = getattr(predicate, "__name__", repr(predicate))
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for request in self.requests:
                    if predicate(request):
                        return request
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    recorded = "\n".join(f"  - {r.describe()}" for r in self.requests)
                    raise AssertionError(
                        f"FakeSlackAPI: no request matching {label} within {timeout}s; "
                        f"recorded {len(self.requests)} request(s):\n{recorded or '  (none)'}"
                    )
                self._cond.wait(remaining)

    def clear(self) -> None:
        """Forget recorded requests (state such as posted messages and users is kept)."""
        with self._lock:
            self.requests.clear()

    @staticmethod
    def _matches(request: RecordedRequest, key: str) -> bool:
        if key.startswith("/"):
            return request.path == key
        return request.api_method == key

    # ---- request handling ------------------------------------------------------------------

    def _record(self, handler: _Handler) -> RecordedRequest:
        raw = handler.read_body()
        split = urlsplit(handler.path)
        path = split.path
        api_method = path[len("/api/") :] if path.startswith("/api/") else None
        headers = Headers(handler.headers.items())
        request = RecordedRequest(
            method=handler.command,
            path=path,
            api_method=api_method or None,
            headers=headers,
            body=parse_body(headers.get("content-type", ""), raw),
            raw_body=raw,
            received_at=time.monotonic(),
            query=dict(parse_qsl(split.query, keep_blank_values=True)),
        )
        with self._cond:
            self.requests.append(request)
            self._cond.notify_all()
        return request

    def _next_fault(self, request: RecordedRequest) -> Fault | None:
        with self._lock:
            if request.api_method is not None:
                keys = [request.api_method]
            else:
                wildcards = [k for k in self._faults if k.endswith("*")]
                keys = [request.path, *(k for k in wildcards if request.path.startswith(k[:-1]))]
            for key in keys:
                queue = self._faults.get(key)
                if queue:
                    return queue.popleft()
        return None

    def _handle(self, handler: _Handler) -> None:
        request = self._record(handler)
        fault = self._next_fault(request)
        if isinstance(fault, DropAfterRecording | AnswerLate) and request.api_method:
            response = self._api_response(request)  # Slack has done the work ...
            if isinstance(fault, DropAfterRecording):
                handler.close_connection = True  # ... and the answer never arrives
                return
            deadline = time.monotonic() + fault.seconds  # ... and the answer is late
            while not self._stop_event.is_set() and time.monotonic() < deadline:
                if fault.release is not None and fault.release.is_set():
                    break
                self._stop_event.wait(0.02)
            handler.send_json(response)
            return
        if fault is not None and self._apply_fault(handler, fault):
            return
        if request.api_method is None:
            self._handle_plain(handler, request)
        else:
            handler.send_json(self._api_response(request))

    def _apply_fault(self, handler: _Handler, fault: Fault) -> bool:
        """Act out ``fault``; return True if the request has been fully dealt with."""
        if isinstance(fault, RateLimited):
            handler.send_json(
                {"ok": False, "error": "ratelimited"},
                status=429,
                extra={"Retry-After": str(fault.retry_after)},
            )
        elif isinstance(fault, ServerError):
            html = (
                f"<html><head><title>{fault.status}</title></head>"
                f"<body><h1>{fault.status} Server Error</h1></body></html>"
            )
            handler.send(fault.status, html.encode(), "text/html; charset=utf-8")
        elif isinstance(fault, SlackError):
            handler.send_json({"ok": False, "error": fault.error})
        elif isinstance(fault, Malformed):
            handler.send(200, b'{"ok": tr', "application/json")
        elif isinstance(fault, Hang):
            self._stop_event.wait()
            handler.close_connection = True
        elif isinstance(fault, Slow):
            self._stop_event.wait(fault.seconds)
            return False
        return True

    def _handle_plain(self, handler: _Handler, request: RecordedRequest) -> None:
        if request.path.startswith("/upload/") and handler.command == "POST":
            file_id = request.path[len("/upload/") :]
            with self._lock:
                self.uploaded_files[file_id] = request.raw_body
            handler.send(200, f"OK - {len(request.raw_body)}".encode(), "text/plain")
            return
        if request.path.startswith("/response/") and handler.command == "POST":
            # A response_url answer is checked like a posted message: Slack refuses an image
            # block whose file it cannot show with HTTP 400 and the error as plain text.
            blocks = request.body.get("blocks")
            with self._lock:
                problems = image_block_problems(blocks, self.completed_files)
                if not problems and self.unready_file_posts and "slack_file" in str(blocks):
                    self.unready_file_posts -= 1
                    problems = ["[ERROR] invalid slack file"]
            if problems:
                handler.send(400, b"invalid_blocks", "text/plain; charset=utf-8")
                return
        handler.send(200, b"ok", "text/plain; charset=utf-8")

    def _auth_error(self, request: RecordedRequest) -> str | None:
        token = request.token
        if token is None or not token.startswith(("xoxb-", "xoxp-", "xoxa-", "xoxe-")):
            return "not_authed"
        if len(token) <= len("xoxb-"):
            return "not_authed"
        with self._lock:
            if token in self._revoked:
                return "invalid_auth"
        return None

    def _api_response(self, request: RecordedRequest) -> dict[str, Any]:
        assert request.api_method is not None
        # apps.connections.open takes an app-level token, and checks it itself.
        if request.api_method not in ("auth.test", "apps.connections.open"):
            error = self._auth_error(request)
            if error is not None:
                return {"ok": False, "error": error}
        with self._lock:
            override = self._responses.get(request.api_method)
        if override is not None:
            return override(request) if callable(override) else json.loads(json.dumps(override))
        route = self._routes.get(request.api_method)
        if route is None:
            return {"ok": True}
        with self._lock:
            return route(request)

    # ---- id generation ---------------------------------------------------------------------

    def _next_ts(self) -> str:
        micros = _TS_BASE_MICROS + (next(self._ts_counter) + 1) * _TS_STEP_MICROS
        return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"

    def _next_id(self, prefix: str) -> str:
        return f"{prefix}0TEST{next(self._id_counter):05d}"

    # ---- API methods (called with self._lock held) -----------------------------------------

    def _auth_test(self, request: RecordedRequest) -> dict[str, Any]:
        return {
            "ok": True,
            "url": TEAM_URL,
            "team": TEAM_NAME,
            "user": BOT_USER_NAME,
            "team_id": TEAM_ID,
            "user_id": BOT_USER_ID,
            "bot_id": BOT_ID,
        }

    def _apps_connections_open(self, request: RecordedRequest) -> dict[str, Any]:
        token = request.token
        if token is None or len(token) <= len("xapp-"):
            return {"ok": False, "error": "not_authed"}
        if not token.startswith("xapp-"):
            return {"ok": False, "error": "not_allowed_token_type"}
        if token in self._revoked:
            return {"ok": False, "error": "invalid_auth"}
        if self.socket_mode_url is None:
            return {"ok": False, "error": "fake_has_no_socket_mode_server"}
        return {"ok": True, "url": self.socket_mode_url()}

    def _bot_message(self, params: dict[str, Any], ts: str) -> dict[str, Any]:
        message: dict[str, Any] = {
            "type": "message",
            "text": params.get("text", ""),
            "user": BOT_USER_ID,
            "bot_id": BOT_ID,
            "app_id": APP_ID,
            "team": TEAM_ID,
            "ts": ts,
        }
        for key in ("blocks", "attachments", "metadata", "thread_ts"):
            if params.get(key) is not None:
                message[key] = params[key]
        return message

    def _chat_post_message(self, request: RecordedRequest) -> dict[str, Any]:
        params = request.params
        channel = params.get("channel")
        if not channel:
            return {"ok": False, "error": "channel_not_found"}
        if not any(params.get(k) for k in ("text", "blocks", "attachments")):
            return {"ok": False, "error": "no_text"}
        problems = image_block_problems(params.get("blocks"), self.completed_files)
        if not problems and self.unready_file_posts and "slack_file" in str(params.get("blocks")):
            self.unready_file_posts -= 1
            problems = ["[ERROR] invalid slack file [json-pointer:/blocks/1/slack_file]"]
        if problems:
            return {
                "ok": False,
                "error": "invalid_blocks",
                "errors": [problem.removeprefix("[ERROR] ") for problem in problems],
                "response_metadata": {"messages": problems},
            }
        ts = self._next_ts()
        message = self._bot_message(params, ts)
        if _truthy(params.get("reply_broadcast", False)):
            message["subtype"] = "thread_broadcast"
        self._messages.setdefault(_dm_channel(str(channel)), []).append(message)
        return {"ok": True, "channel": channel, "ts": ts, "message": dict(message)}

    def _chat_post_ephemeral(self, request: RecordedRequest) -> dict[str, Any]:
        params = request.params
        if not params.get("channel"):
            return {"ok": False, "error": "channel_not_found"}
        if not params.get("user"):
            return {"ok": False, "error": "user_not_in_channel"}
        return {"ok": True, "message_ts": self._next_ts()}

    def _find_message(self, channel: str, ts: str) -> dict[str, Any] | None:
        for message in self._messages.get(_dm_channel(channel), []):
            if message["ts"] == ts:
                return message
        return None

    def _chat_update(self, request: RecordedRequest) -> dict[str, Any]:
        params = request.params
        channel, ts = str(params.get("channel", "")), str(params.get("ts", ""))
        message = self._find_message(channel, ts)
        if message is None:
            return {"ok": False, "error": "message_not_found"}
        for key in ("text", "blocks", "attachments", "metadata"):
            if key in params:
                message[key] = params[key]
        message["edited"] = {"user": BOT_USER_ID, "ts": self._next_ts()}
        return {
            "ok": True,
            "channel": channel,
            "ts": ts,
            "text": message.get("text", ""),
            "message": dict(message),
        }

    def _chat_delete(self, request: RecordedRequest) -> dict[str, Any]:
        params = request.params
        channel, ts = str(params.get("channel", "")), str(params.get("ts", ""))
        message = self._find_message(channel, ts)
        if message is None:
            return {"ok": False, "error": "message_not_found"}
        self._messages[_dm_channel(channel)].remove(message)
        return {"ok": True, "channel": channel, "ts": ts}

    def _conversations_open(self, request: RecordedRequest) -> dict[str, Any]:
        params = request.params
        if params.get("channel"):
            return {"ok": True, "channel": {"id": params["channel"]}}
        users = [u.strip() for u in str(params.get("users", "")).split(",") if u.strip()]
        if not users:
            return {"ok": False, "error": "users_list_not_supplied"}
        if len(users) == 1:
            return {"ok": True, "channel": {"id": "D" + users[0]}}
        return {"ok": True, "channel": {"id": "G" + "".join(users)[:20]}}

    def _conversations_history(self, request: RecordedRequest) -> dict[str, Any]:
        params = request.params
        channel = str(params.get("channel", ""))
        if not channel:
            return {"ok": False, "error": "channel_not_found"}
        inclusive = _truthy(params.get("inclusive", False))
        oldest = _as_float(params.get("oldest"), 0.0)
        latest = _as_float(params.get("latest"), float("inf"))
        limit = _as_int(params.get("limit"), 100) or 100

        def in_window(ts: float) -> bool:
            if inclusive:
                return oldest <= ts <= latest
            return oldest < ts < latest

        candidates = [
            dict(m)
            for m in reversed(self._messages.get(_dm_channel(channel), []))
            if in_window(float(m["ts"]))
            and (m.get("thread_ts") in (None, m["ts"]) or m.get("subtype") == "thread_broadcast")
        ]
        return {
            "ok": True,
            "messages": candidates[:limit],
            "has_more": len(candidates) > limit,
            "pin_count": 0,
            "response_metadata": {"next_cursor": ""},
        }

    def _conversations_replies(self, request: RecordedRequest) -> dict[str, Any]:
        params = request.params
        channel, ts = str(params.get("channel", "")), str(params.get("ts", ""))
        messages = self._messages.get(_dm_channel(channel), [])
        thread = [dict(m) for m in messages if m["ts"] == ts or m.get("thread_ts") == ts]
        if not thread:
            return {"ok": False, "error": "thread_not_found"}
        limit = _as_int(params.get("limit"), 1000) or 1000
        return {
            "ok": True,
            "messages": thread[:limit],
            "has_more": len(thread) > limit,
            "response_metadata": {"next_cursor": ""},
        }

    def _view_object(self, view: Any) -> dict[str, Any]:
        base = dict(view) if isinstance(view, dict) else {}
        view_id = self._next_id("V")
        return {
            "id": view_id,
            "team_id": TEAM_ID,
            "type": base.get("type", "home"),
            "blocks": base.get("blocks", []),
            "private_metadata": base.get("private_metadata", ""),
            "callback_id": base.get("callback_id", ""),
            "external_id": base.get("external_id", ""),
            "state": {"values": {}},
            "hash": f"{_TS_BASE_MICROS // 1_000_000}.{view_id}",
            "clear_on_close": False,
            "notify_on_close": False,
            "root_view_id": view_id,
            "previous_view_id": None,
            "app_id": APP_ID,
            "bot_id": BOT_ID,
            **{k: v for k, v in base.items() if k not in ("type", "blocks")},
        }

    def _views_publish(self, request: RecordedRequest) -> dict[str, Any]:
        params = request.params
        user_id, view = params.get("user_id"), params.get("view")
        if not user_id:
            return {"ok": False, "error": "invalid_arguments"}
        problem = view_problem(view, "home")
        if problem is not None:
            return {"ok": False, "error": "invalid_arguments", "response_metadata": problem}
        assert isinstance(view, dict)
        expected = params.get("hash")
        if expected and expected != self._view_hashes.get(str(user_id)):
            return {"ok": False, "error": "hash_conflict"}  # published over since
        self.published_views[str(user_id)] = view
        published = self._view_object(view)
        self._view_hashes[str(user_id)] = published["hash"]
        return {"ok": True, "view": published}

    def _views_echo(self, request: RecordedRequest) -> dict[str, Any]:
        params = request.params
        view = params.get("view")
        if request.api_method == "views.open" and not params.get("trigger_id"):
            return {"ok": False, "error": "invalid_arguments"}
        if request.api_method == "views.update" and not (
            params.get("view_id") or params.get("external_id")
        ):
            return {"ok": False, "error": "invalid_arguments"}
        problem = view_problem(view, "modal")
        if problem is not None:
            return {"ok": False, "error": "invalid_arguments", "response_metadata": problem}
        return {"ok": True, "view": self._view_object(view)}

    def _users_info(self, request: RecordedRequest) -> dict[str, Any]:
        user = self.users.get(str(request.params.get("user", "")))
        if user is None:
            return {"ok": False, "error": "user_not_found"}
        return {"ok": True, "user": json.loads(json.dumps(user))}

    def _users_lookup_by_email(self, request: RecordedRequest) -> dict[str, Any]:
        email = str(request.params.get("email", "")).strip().lower()
        for user in self.users.values():
            if email and str(user["profile"].get("email", "")).lower() == email:
                return {"ok": True, "user": json.loads(json.dumps(user))}
        return {"ok": False, "error": "users_not_found"}

    def _users_list(self, request: RecordedRequest) -> dict[str, Any]:
        params = request.params
        members = list(self.users.values())
        start = 0
        cursor = str(params.get("cursor") or "")
        if cursor:
            try:
                start = int(base64.b64decode(cursor).decode().removeprefix("users:"))
            except ValueError:
                return {"ok": False, "error": "invalid_cursor"}
        limit = _as_int(params.get("limit"), 0)
        end = len(members) if limit <= 0 else start + limit
        next_cursor = ""
        if end < len(members):
            next_cursor = base64.b64encode(f"users:{end}".encode()).decode()
        return {
            "ok": True,
            "members": json.loads(json.dumps(members[start:end])),
            "cache_ts": 1_700_000_000,
            "response_metadata": {"next_cursor": next_cursor},
        }

    def _files_get_upload_url(self, request: RecordedRequest) -> dict[str, Any]:
        params = request.params
        filename = params.get("filename")
        if not filename:
            return {"ok": False, "error": "invalid_arguments"}
        file_id = self._next_id("F")
        self._pending_uploads[file_id] = {
            "filename": str(filename),
            "length": _as_int(params.get("length"), 0),
        }
        return {"ok": True, "upload_url": f"{self.base_url}/upload/{file_id}", "file_id": file_id}

    def _files_complete_upload(self, request: RecordedRequest) -> dict[str, Any]:
        params = request.params
        files = params.get("files")
        if not isinstance(files, list) or not files:
            return {"ok": False, "error": "invalid_arguments"}
        channels = [c for c in str(params.get("channels", "")).split(",") if c]
        if params.get("channel_id"):
            channels.insert(0, str(params["channel_id"]))
        result: list[dict[str, Any]] = []
        for entry in files:
            file_id = str(entry.get("id", "")) if isinstance(entry, dict) else ""
            pending = self._pending_uploads.get(file_id)
            if pending is None:
                return {"ok": False, "error": "file_not_found"}
            data = self.uploaded_files.get(file_id)
            if data is None:
                return {"ok": False, "error": "file_upload_not_found"}
            file_obj = {
                "id": file_id,
                "name": pending["filename"],
                "title": entry.get("title") or pending["filename"],
                "size": len(data),
                "user": BOT_USER_ID,
                "channels": channels,
                "initial_comment": params.get("initial_comment"),
                "thread_ts": params.get("thread_ts"),
                "permalink": f"{TEAM_URL}files/{BOT_USER_ID}/{file_id}/{pending['filename']}",
            }
            self.completed_files[file_id] = file_obj
            result.append({"id": file_id, "title": file_obj["title"]})
        return {"ok": True, "files": result}

    def _files_delete(self, request: RecordedRequest) -> dict[str, Any]:
        file_id = str(request.params.get("file", ""))
        if self.completed_files.pop(file_id, None) is None:
            return {"ok": False, "error": "file_not_found"}
        self.uploaded_files.pop(file_id, None)
        return {"ok": True}

    def _files_info(self, request: RecordedRequest) -> dict[str, Any]:
        file_obj = self.completed_files.get(str(request.params.get("file", "")))
        if file_obj is None:
            return {"ok": False, "error": "file_not_found"}
        return {"ok": True, "file": dict(file_obj)}
