"""The `uptake` command line: run the bot, the clock, migrations, the demo and imports."""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import signal
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

from apscheduler.schedulers.background import BackgroundScheduler
from slack_bolt.adapter.socket_mode import SocketModeHandler
from sqlalchemy.engine import Engine
from waitress import serve

from bot.app import create_app, make_client
from bot.blocks.common import blocks_to_text
from bot.clock import build_scheduler, job_specs, run_job
from bot.collectors.registry import SOURCE_NAMES, SOURCES, build_collectors
from bot.demo import build_demo
from bot.digests.narrative import TemplateNarrative
from bot.digests.service import build_digest
from bot.importer import import_usage
from bot.jobs import sync_directory
from bot.linking import import_identity_map
from bot.logs import configure_logging
from bot.myusage import MyUsageRequest, parse_myusage, summary_answer
from bot.org import import_org
from bot.people import find_person
from bot.rejected import FileRejected
from bot.services import Services
from bot.settings import Settings, SettingsError, load_settings
from bot.sync import sync_all
from bot.teams import load_teams, team_people
from bot.tips.library import default_library
from bot.tips.service import preview_tip
from bot.web import UptakeWSGI
from storage import queries
from storage.engine import make_engine
from storage.engine import session as open_session
from storage.migrate import current_revision, upgrade
from storage.models import utcnow

logger = logging.getLogger("uptake")
ImportedT = TypeVar("ImportedT")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="uptake",
        description="Uptake: AI coding tool adoption, privately for each engineer "
        "and in aggregate for managers.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    commands.add_parser(
        "start",
        help="migrate, then answer Slack (Socket Mode if SLACK_APP_TOKEN is set, else HTTP); "
        "without Slack credentials, run the demo",
    )
    commands.add_parser("serve", help="answer Slack over HTTP on $PORT (production WSGI server)")
    commands.add_parser("socket", help="answer Slack over Socket Mode (needs SLACK_APP_TOKEN)")
    commands.add_parser("clock", help="run the scheduler process (all scheduled jobs)")
    commands.add_parser("jobs", help="list the scheduled jobs and their next run times")
    run_job_parser = commands.add_parser("run-job", help="run one scheduled job now")
    run_job_parser.add_argument("name", help="a job name from `uptake jobs`")
    run_job_parser.add_argument(
        "--now", type=_timestamp, help="pretend it is this UTC time, e.g. 2026-11-30T09:00"
    )

    db = commands.add_parser("db", help="database maintenance")
    db_commands = db.add_subparsers(dest="db_command", required=True, metavar="DB_COMMAND")
    db_commands.add_parser("upgrade", help="apply database migrations")
    db_commands.add_parser("current", help="show the database's migration revision")

    demo = commands.add_parser(
        "demo", help="create a synthetic organisation and show sample /myusage answers"
    )
    demo.add_argument("--people", type=int, default=300, help="people to create (default 300)")
    demo.add_argument("--days", type=int, default=120, help="days of history (default 120)")
    demo.add_argument("--seed", type=int, default=7, help="random seed (default 7)")

    sync = commands.add_parser(
        "sync", help="pull usage from the vendor APIs (incremental, or a backfill with --since)"
    )
    sync.add_argument("--source", choices=SOURCE_NAMES, help="only this source")
    sync.add_argument("--since", type=_date, help="first day to pull, YYYY-MM-DD")
    sync.add_argument("--until", type=_date, help="last day to pull, YYYY-MM-DD")
    commands.add_parser("sources", help="which usage sources are on, and their sync state")
    commands.add_parser(
        "people", help="load people from the Slack directory and link accounts by email"
    )

    imports = commands.add_parser("import", help="import data from a file")
    import_commands = imports.add_subparsers(dest="import_kind", required=True, metavar="KIND")
    usage = import_commands.add_parser(
        "usage", help="daily usage from CSV or NDJSON (schema: see README)"
    )
    usage.add_argument("file", type=Path, help="a .csv, .ndjson or .jsonl file")
    mapping = import_commands.add_parser(
        "identities",
        help="admin mapping of tool accounts to people, CSV: tool,external_id,slack_user_id|email",
    )
    mapping.add_argument("file", type=Path, help="a .csv file")
    org = import_commands.add_parser(
        "org", help="teams, parents, members and managers from a CSV or YAML org file"
    )
    org.add_argument("file", type=Path, help="a .csv, .yaml or .yml file (schema: README)")

    myusage = commands.add_parser("myusage", help="print what /myusage shows a person")
    who = myusage.add_mutually_exclusive_group(required=True)
    who.add_argument("--user", metavar="SLACK_USER_ID", help="a Slack user id, e.g. U012AB3CD")
    who.add_argument("--email", help="the person's email")
    myusage.add_argument("--window", default="28d", help="7d, 28d or 90d (default 28d)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `uptake` console script."""
    args = _parser().parse_args(argv)
    try:
        settings = load_settings()
    except SettingsError as exc:
        print(f"uptake: {exc}", file=sys.stderr)
        return 2
    configure_logging(settings.log_level)
    handler = {
        "start": _start,
        "serve": _serve,
        "socket": _socket,
        "clock": _clock,
        "jobs": _jobs,
        "run-job": _run_job,
        "db": _db,
        "demo": _demo,
        "import": _import,
        "sync": _sync,
        "sources": _sources,
        "people": _people,
        "myusage": _myusage,
    }[args.command]
    return int(handler(settings, args))


@contextmanager
def _engine(settings: Settings, *, migrate: bool = False) -> Iterator[Engine]:
    """The database for one command, migrated if asked, and closed when the command ends."""
    engine = make_engine(settings.database_url)
    try:
        if migrate:
            upgrade(engine)
        yield engine
    finally:
        engine.dispose()


def _start(settings: Settings, args: argparse.Namespace) -> int:
    if not settings.has_slack_credentials:
        print("No Slack credentials are set (see .env.example), so here is the demo.\n")
        return _demo(settings, _parser().parse_args(["demo"]))
    with _engine(settings, migrate=True):
        pass
    return _socket(settings, args) if settings.slack_app_token else _serve(settings, args)


def _serve(settings: Settings, _args: argparse.Namespace) -> int:

    if settings.slack_bot_token is None or settings.slack_signing_secret is None:
        print(
            "uptake serve needs SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET (see .env.example)",
            file=sys.stderr,
        )
        return 2
    with _engine(settings) as engine:
        app = create_app(settings, engine=engine)
        logger.info("serving Slack requests on port %d", settings.port)
        serve(
            UptakeWSGI(app, engine),
            host="0.0.0.0",  # noqa: S104  (the platform's router is in front)
            port=settings.port,
            threads=settings.web_threads,
        )
    return 0


def _socket(settings: Settings, _args: argparse.Namespace) -> int:

    if settings.slack_bot_token is None or settings.slack_app_token is None:
        print("uptake socket needs SLACK_BOT_TOKEN and SLACK_APP_TOKEN", file=sys.stderr)
        return 2
    with _engine(settings) as engine:
        app = create_app(settings, engine=engine)
        SocketModeHandler(app, settings.slack_app_token.get_secret_value()).start()  # type: ignore[no-untyped-call]
    return 0


def _clock(settings: Settings, _args: argparse.Namespace) -> int:
    client = make_client(settings) if settings.slack_bot_token else None
    with _engine(settings, migrate=True) as engine:
        scheduler = build_scheduler(job_specs(settings, engine, client))
        for job in scheduler.get_jobs():
            logger.info("clock: %s — %s", job.id, job.name)
        # Platforms stop processes with SIGTERM: finish the running job, then exit cleanly.
        signal.signal(signal.SIGTERM, lambda *_: scheduler.shutdown(wait=True))
        try:
            scheduler.start()
        except (KeyboardInterrupt, SystemExit):
            logger.info("clock: stopping")
    return 0


def _jobs(settings: Settings, _args: argparse.Namespace) -> int:
    client = make_client(settings) if settings.slack_bot_token else None
    with _engine(settings) as engine:
        scheduler = build_scheduler(
            job_specs(settings, engine, client), BackgroundScheduler(timezone="UTC")
        )
        now = utcnow()
        for job in scheduler.get_jobs():
            next_run = job.trigger.get_next_fire_time(None, now)
            when = next_run.isoformat(timespec="minutes") if next_run else "never"
            print(f"{job.id:<20} next {when}  {job.name}")
    return 0


def _run_job(settings: Settings, args: argparse.Namespace) -> int:
    client = make_client(settings) if settings.slack_bot_token else None
    with _engine(settings, migrate=True) as engine:
        specs = job_specs(settings, engine, client)
        try:
            result = run_job(specs, args.name, args.now)
        except KeyError:
            names = ", ".join(spec.name for spec in specs)
            print(f"uptake run-job: no job {args.name!r}; jobs: {names}", file=sys.stderr)
            return 2
    print(f"{args.name}: {result}")
    return 0


def _db(settings: Settings, args: argparse.Namespace) -> int:

    with _engine(settings) as engine:
        if args.db_command == "upgrade":
            upgrade(engine)
        print(f"database at revision {current_revision(engine) or 'none'}")
    return 0


def _demo(settings: Settings, args: argparse.Namespace) -> int:

    if not 10 <= args.people <= 100_000 or not 56 <= args.days <= 400:
        print("uptake demo: --people must be 10–100000 and --days 56–400", file=sys.stderr)
        return 2
    with _engine(settings, migrate=True) as engine:
        result = build_demo(
            engine, now=utcnow(), people_count=args.people, days=args.days, seed=args.seed
        )
        print(
            f"Demo organisation ready: {result.people} people in {result.teams} teams, "
            f"{result.usage_rows:,} daily usage rows over {args.days} days "
            f"(database: {settings.database_url.split('@')[-1]})."
        )
        services = Services(settings=settings, engine=engine)
        for archetype, slack_user_id in result.samples.items():
            print(f"\n### /myusage for a {archetype} user ({slack_user_id})\n")
            print(_render_myusage(services, slack_user_id, None, MyUsageRequest()))
        light = result.samples.get("light")
        person = find_person(engine, slack_user_id=light) if light else None
        if person is not None:
            choice = preview_tip(
                engine,
                person_id=person.id,
                slack_user_id=person.slack_user_id,
                tz=person.tz,
                library=default_library(),
                thresholds=services.thresholds,
                now=utcnow(),
            )
            if choice is not None:
                print(
                    f"\n### A sample tip for the light user (if they opted in: {choice.reason})\n"
                )
                print(f"{choice.tip.text}\nRead more: {choice.tip.link}")
        _write_digest_preview(engine, services)
    print("\nTry: uptake myusage --user UDEMO0001 --window 90d")
    return 0


def _timestamp(value: str) -> dt.datetime:
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a time like 2026-11-30T09:00") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a date like 2026-11-01") from None


def _sync(settings: Settings, args: argparse.Namespace) -> int:
    if args.since and args.until and args.since > args.until:
        print("uptake sync: --since is after --until", file=sys.stderr)
        return 2
    collectors = build_collectors(settings, only=args.source)
    if not collectors:
        wanted = args.source or "every source"
        print(f"uptake sync: {wanted} is off; `uptake sources` says what to set", file=sys.stderr)
        return 2
    with _engine(settings, migrate=True) as engine:
        outcomes = sync_all(
            engine,
            collectors,
            now=utcnow(),
            backfill_days=settings.sync_backfill_days,
            since=args.since,
            until=args.until,
            progress=_progress_bar,
        )
    failed = False
    for outcome in outcomes:
        line = (
            f"{outcome.source}: {outcome.days_written} day(s), {outcome.rows_written} row(s); "
            f"complete to {outcome.last_complete_day or 'nothing yet'}"
        )
        if outcome.waiting_for:
            line += f"; {outcome.waiting_for} not published yet"
        if outcome.error:
            line += f"; FAILED: {outcome.error}"
            failed = True
        print(line)
    return 1 if failed else 0


def _progress_bar(source: str, done: int, total: int) -> None:
    width = 30
    filled = width * done // max(total, 1)
    end = "\n" if done >= total else ""
    bar = "#" * filled + "." * (width - filled)
    print(f"\r{source:<12} [{bar}] {done}/{total} days", end=end, file=sys.stderr, flush=True)


def _people(settings: Settings, _args: argparse.Namespace) -> int:
    if settings.slack_bot_token is None:
        print("uptake people needs SLACK_BOT_TOKEN (with users:read.email)", file=sys.stderr)
        return 2
    with _engine(settings, migrate=True) as engine:
        result = sync_directory(engine=engine, client=make_client(settings), settings=settings)
    print(f"{result.people} people; {result.linked} account(s) linked by email.")
    return 0


def _sources(settings: Settings, _args: argparse.Namespace) -> int:
    with _engine(settings, migrate=True) as engine, open_session(engine) as session:
        states = {state.source: state for state in queries.sync_states(session)}
    for source in SOURCES:
        state = states.get(source.name)
        if not source.enabled(settings):
            print(f"{source.name:<12} off   (set {source.needs})")
            continue
        last = (
            state.last_success_at.isoformat(timespec="minutes")
            if state and state.last_success_at
            else "never"
        )
        complete = state.last_complete_day if state and state.last_complete_day else "-"
        failing = (
            state is not None
            and state.last_error_at is not None
            and (state.last_success_at is None or state.last_error_at >= state.last_success_at)
        )
        error = f"  FAILING: {state.last_error}" if failing and state else ""
        print(f"{source.name:<12} on    last sync {last}, complete to {complete}{error}")
    return 0


def _write_digest_preview(engine: Engine, services: Services) -> None:
    """Write one manager's digest for this week (text and chart) to the working folder."""
    teams = load_teams(engine, services.settings.team_sources)
    if not teams:
        return
    # The largest team (a department): small teams rightly show little.
    team = max(teams, key=lambda t: (len(team_people(engine, teams, t.id)), t.slug))
    digest = build_digest(
        engine,
        teams,
        team,
        tz="UTC",
        now=utcnow(),
        k=services.settings.min_group_size,
        thresholds=services.thresholds,
        narrative=TemplateNarrative(),
    )
    Path("digest-preview.txt").write_text(blocks_to_text(digest.blocks) + "\n")
    if digest.chart:
        Path("digest-preview.png").write_bytes(digest.chart)
    print(
        f"\n### This week's digest for the manager of {team.name}\n\n"
        f"{blocks_to_text(digest.blocks)}\n\n(written to digest-preview.txt"
        + (" and digest-preview.png)" if digest.chart else ")")
    )


def _import(settings: Settings, args: argparse.Namespace) -> int:
    if args.import_kind == "identities":
        return _import_identities(settings, args)
    if args.import_kind == "org":
        return _import_org(settings, args)

    result = _importing(settings, args.file, import_usage)
    if result is None:
        return 1
    print(
        f"Imported {result.rows} rows for {result.identities} identities "
        f"({result.unlinked_identities} not linked to a Slack user yet)."
    )
    return 0


def _importing(
    settings: Settings, path: Path, action: Callable[[Engine, Path], ImportedT]
) -> ImportedT | None:
    """Run an import; on a rejected or unreadable file, report every problem and return None."""
    try:
        with _engine(settings, migrate=True) as engine:
            return action(engine, path)
    except FileRejected as exc:
        for line, problem in exc.problems:
            print(f"{path}:{line}: {problem}", file=sys.stderr)
        print(f"uptake import: {exc}", file=sys.stderr)
    except OSError as exc:
        print(f"uptake import: cannot read {path}: {exc.strerror}", file=sys.stderr)
    return None


def _import_org(settings: Settings, args: argparse.Namespace) -> int:
    result = _importing(settings, args.file, import_org)
    if result is None:
        return 1
    print(
        f"Imported {result.teams} team(s) with {result.memberships} membership(s); "
        f"removed {result.removed_teams} team(s) no longer in the file."
    )
    return 0


def _import_identities(settings: Settings, args: argparse.Namespace) -> int:
    count = _importing(
        settings, args.file, lambda engine, path: import_identity_map(engine, path, admin="cli")
    )
    if count is None:
        return 1
    print(f"Mapped {count} account(s).")
    return 0


def _myusage(settings: Settings, args: argparse.Namespace) -> int:

    request = parse_myusage(args.window)
    if request.kind != "summary":
        print("uptake myusage: --window must be 7d, 28d or 90d", file=sys.stderr)
        return 2
    with _engine(settings, migrate=True) as engine:
        services = Services(settings=settings, engine=engine)
        text = _render_myusage(services, args.user, args.email, request)
    if text is None:
        print("uptake myusage: no such person", file=sys.stderr)
        return 1
    print(text)
    return 0


def _render_myusage(
    services: Services, slack_user_id: str | None, email: str | None, request: MyUsageRequest
) -> str | None:

    person = find_person(services.engine, slack_user_id=slack_user_id, email=email)
    if person is None:
        return None
    blocks, _ = summary_answer(services, person, request.window_days)
    return blocks_to_text(blocks)


if __name__ == "__main__":
    sys.exit(main())
