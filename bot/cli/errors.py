"""Why a command failed, in one line that names the setting to check: no traceback.

`describe_failure` knows the failures an operator can fix (a wrong or unreachable database,
a schema behind this version, a refused Slack token, no route to Slack, a port in use); any
other exception is a bug and keeps its (scrubbed) traceback.
"""

from __future__ import annotations

import errno
import re
import traceback
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.error import URLError

from alembic.script import ScriptDirectory
from slack_sdk.errors import SlackApiError
from sqlalchemy import exc as sa_exc

from bot.logs import redact
from bot.settings import Settings
from storage.engine import make_engine
from storage.migrate import MIGRATIONS, current_revision

#: Exit status of a command that failed while running (database down, Slack unreachable).
RUNTIME = 1
#: Exit status of a command stopped by a setting that needs changing.
CONFIGURATION = 2

# Slack's answers when the token itself is wrong, removed or belongs to a deactivated user.
_TOKEN_ERRORS = frozenset(
    {"invalid_auth", "not_authed", "token_revoked", "token_expired", "account_inactive"}
)
_USERINFO = re.compile(r"//.*@")  # greedy: a password may itself hold '@' or '/'


@dataclass(frozen=True)
class Failure:
    """What went wrong, in words a person can act on, and the exit status to leave with."""

    message: str
    status: int


class SchemaBehind(Exception):
    """The database's schema is not the one this version of Uptake runs on."""


def check_schema(settings: Settings) -> None:
    """Raise `SchemaBehind` unless the database is at the newest migration."""
    engine = make_engine(settings.database_url)
    try:
        current = current_revision(engine)
    finally:
        engine.dispose()
    script = ScriptDirectory(str(MIGRATIONS))
    head = script.get_current_head()
    if current == head:
        return
    known = {revision.revision for revision in script.walk_revisions()}
    where = f"the database at {masked_url(settings.database_url)}"
    if current is None:
        raise SchemaBehind(f"{where} has no tables yet: run `uptake db upgrade` (DATABASE_URL)")
    if current not in known:
        raise SchemaBehind(
            f"{where} is at migration {current}, newer than this version of Uptake knows: "
            "run the newest Uptake, or check DATABASE_URL"
        )
    raise SchemaBehind(
        f"{where} is at migration {current}, behind this version's {head}: run `uptake db upgrade`"
    )


def describe_failure(exc: BaseException, settings: Settings) -> Failure | None:
    """One or two lines saying what failed and which setting to check, or None for a bug."""
    for cause in _causes(exc):
        failure = (
            _schema(cause, settings)
            or _database(cause, settings)
            or _slack(cause, settings)
            or _network(cause, settings)
            or _port(cause, settings)
        )
        if failure is not None:
            return Failure(redact(failure.message), failure.status)
    return None


def masked_url(url: str) -> str:
    """`url` without its user name and password."""
    return _USERINFO.sub("//***@", url, count=1)


def _causes(exc: BaseException) -> Iterator[BaseException]:
    """`exc`, then what it was raised from or while handling (Bolt wraps Slack's refusal)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def _schema(exc: BaseException, settings: Settings) -> Failure | None:
    if isinstance(exc, SchemaBehind):
        return Failure(str(exc), RUNTIME)
    if not isinstance(exc, sa_exc.OperationalError | sa_exc.ProgrammingError):
        return None
    sqlstate = getattr(exc.orig, "sqlstate", None)
    text = str(exc.orig)
    # PostgreSQL: undefined table or column; SQLite says it in words.
    if sqlstate in {"42P01", "42703"} or re.match(r"no such (table|column)", text):
        return Failure(
            f"the database at {masked_url(settings.database_url)} lacks tables or columns "
            f"this version needs ({_first_line(text)}): run `uptake db upgrade`",
            RUNTIME,
        )
    return None


def _database(exc: BaseException, settings: Settings) -> Failure | None:
    where = masked_url(settings.database_url)
    if isinstance(exc, sa_exc.ArgumentError):
        return Failure(f"DATABASE_URL {where} cannot be used: {_first_line(exc)}", CONFIGURATION)
    if not isinstance(exc, sa_exc.OperationalError):
        return None
    reason = _first_line(exc.orig)
    if reason == "unable to open database file":
        return Failure(
            f"cannot open the SQLite database {where} ({reason}): its folder must exist and be "
            "writable; check DATABASE_URL",
            CONFIGURATION,
        )
    if settings.database_url.startswith("sqlite"):
        return None  # a locked or broken file: rare enough to keep its traceback
    wrong = "does not exist" in reason or "authentication failed" in reason
    return Failure(
        f"cannot connect to the database at {where}: {reason}\n"
        + (
            "Check DATABASE_URL (user, password and database name)."
            if wrong
            else "Check DATABASE_URL and that the database server is running and reachable."
        ),
        CONFIGURATION if wrong else RUNTIME,
    )


def _slack(exc: BaseException, settings: Settings) -> Failure | None:
    if not isinstance(exc, SlackApiError):
        return None
    response = exc.response
    method = str(response.api_url).rsplit("/", 1)[-1]
    error = str(response.get("error", "")) if isinstance(response.data, dict) else ""
    if error in _TOKEN_ERRORS:
        if method == "apps.connections.open":
            return Failure(
                # Not "Basic Information": log redaction reads "Basic …" as a credential.
                f"Slack refused SLACK_APP_TOKEN ({error}): use an app-level token (xapp-) "
                "with connections:write, from the app's settings under App-Level Tokens",
                CONFIGURATION,
            )
        return Failure(
            f"Slack refused SLACK_BOT_TOKEN ({error}): use the Bot User OAuth Token (xoxb-) "
            "from the app's OAuth & Permissions page; reinstall the app if it was removed",
            CONFIGURATION,
        )
    if error == "missing_scope":
        needed = response.get("needed") or "a scope"
        return Failure(
            f"the Slack app lacks {needed} for {method}: add it under OAuth & Permissions "
            "and reinstall the app (SLACK_BOT_TOKEN)",
            CONFIGURATION,
        )
    if response.status_code != 200 or error.startswith("Received a response in a non-JSON"):
        return Failure(
            f"{settings.slack_api_url} answered {method} with HTTP {response.status_code}, "
            "not Slack's API: check SLACK_API_URL",
            RUNTIME,
        )
    return Failure(f"Slack answered {method} with the error {error or 'unknown'}", RUNTIME)


def _network(exc: BaseException, settings: Settings) -> Failure | None:
    if not isinstance(exc, OSError):  # URLError, ConnectionError and TimeoutError among them
        return None
    if not (isinstance(exc, URLError) or any("slack_sdk" in f.filename for f in _frames(exc))):
        return None
    reason = exc.reason if isinstance(exc, URLError) else exc
    return Failure(
        f"cannot reach Slack at {settings.slack_api_url} ({reason}): "
        "check SLACK_API_URL and this machine's network",
        RUNTIME,
    )


def _port(exc: BaseException, settings: Settings) -> Failure | None:
    if not isinstance(exc, OSError) or exc.errno not in (errno.EADDRINUSE, errno.EACCES):
        return None
    # The clock's metrics server (prometheus_client) listens on METRICS_PORT; the web on PORT.
    if any("prometheus_client" in f.filename for f in _frames(exc)):
        port, setting = settings.metrics_port, "METRICS_PORT (0 turns metrics off)"
    elif exc.errno == errno.EADDRINUSE or any("waitress" in f.filename for f in _frames(exc)):
        port, setting = settings.port, "PORT"
    else:
        return None
    if exc.errno == errno.EADDRINUSE:
        return Failure(
            f"port {port} is already in use: stop what listens there or set {setting}", RUNTIME
        )
    return Failure(
        f"not allowed to listen on port {port}: set {setting}, above 1023", CONFIGURATION
    )


def _frames(exc: BaseException) -> traceback.StackSummary:
    """Where `exc` was raised from: which library it passed through."""
    return traceback.extract_tb(exc.__traceback__)


def _first_line(value: object) -> str:
    return str(value).strip().split("\n", 1)[0]
