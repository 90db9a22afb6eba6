"""The long-running processes (`start`, `serve`, `socket`, `clock`) and one-off job runs."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from typing import TYPE_CHECKING

from bot.cli.common import add_command, engine_for, timestamp
from bot.settings import Settings

if TYPE_CHECKING:
    from slack_sdk import WebClient

# What each command runs is imported when it runs: `uptake --help` and the other commands
# need neither Bolt, nor the WSGI server, nor the scheduler.

logger = logging.getLogger("uptake")


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the process commands to `uptake`."""
    add_command(
        commands,
        "start",
        start,
        help="migrate, then answer Slack (Socket Mode if SLACK_APP_TOKEN is set, else HTTP); "
        "without Slack credentials, run the demo",
        example="uptake start",
    )
    add_command(
        commands,
        "serve",
        serve_http,
        help="answer Slack over HTTP on $PORT (production WSGI server)",
        example="PORT=3000 uptake serve",
    )
    add_command(
        commands,
        "socket",
        socket,
        help="answer Slack over Socket Mode (needs SLACK_BOT_TOKEN and SLACK_APP_TOKEN)",
        example="uptake socket",
    )
    add_command(
        commands,
        "clock",
        clock,
        help="run the scheduler process (all scheduled jobs)",
        example="uptake clock",
    )
    add_command(
        commands,
        "jobs",
        jobs,
        help="list the scheduled jobs and their next run times",
        example="uptake jobs",
    )
    run_job_parser = add_command(
        commands,
        "run-job",
        run_one_job,
        help="run one scheduled job now",
        example="uptake run-job digests --now 2026-11-30T09:00",
    )
    run_job_parser.add_argument("name", help="a job name from `uptake jobs`")
    run_job_parser.add_argument(
        "--now", type=timestamp, help="pretend it is this UTC time, e.g. 2026-11-30T09:00"
    )


def start(settings: Settings, args: argparse.Namespace) -> int:
    """Answer Slack if credentials are set, else show the demo."""
    from bot.cli.demo import run_demo_instead

    if not settings.has_slack_credentials:
        return run_demo_instead(settings, missing_slack_credentials(settings))
    with engine_for(settings, migrate=True):
        pass
    return socket(settings, args) if settings.slack_app_token else serve_http(settings, args)


def missing_slack_credentials(settings: Settings) -> str:
    """Which Slack settings stop Uptake answering Slack, as a phrase ("" when none)."""
    neither = "neither SLACK_SIGNING_SECRET (for HTTP) nor SLACK_APP_TOKEN (for Socket Mode)"
    has_other = settings.slack_signing_secret is not None or settings.slack_app_token is not None
    if settings.slack_bot_token is None:
        return "SLACK_BOT_TOKEN is not set" + ("" if has_other else f", and {neither} is")
    return "" if has_other else f"SLACK_BOT_TOKEN is set, but {neither} is"


def serve_http(settings: Settings, _args: argparse.Namespace) -> int:
    """Serve Slack's HTTP requests with the production WSGI server."""
    from waitress import serve

    from bot.app import create_app
    from bot.gateway.wsgi import UptakeWSGI

    if settings.slack_bot_token is None or settings.slack_signing_secret is None:
        print(
            "uptake serve needs SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET (see .env.example)",
            file=sys.stderr,
        )
        return 2
    with engine_for(settings) as engine:
        app = create_app(settings, engine=engine)
        logger.info("serving Slack requests on port %d", settings.port)
        serve(
            UptakeWSGI(app, engine, settings=settings),
            host="0.0.0.0",  # noqa: S104  (the platform's router is in front)
            port=settings.port,
            threads=settings.web_threads,
            # Refuse larger bodies before reading them; each route has its own, smaller cap.
            max_request_body_size=max(settings.slack_max_body_bytes, settings.otlp_max_body_bytes),
        )
    return 0


def socket(settings: Settings, _args: argparse.Namespace) -> int:
    """Answer Slack over a Socket Mode connection until stopped (SIGTERM or Ctrl-C)."""
    from bot.app import create_app
    from bot.gateway.socket_mode import PromptSocketModeHandler
    from bot.ops.heartbeat import beating

    if settings.slack_bot_token is None or settings.slack_app_token is None:
        print("uptake socket needs SLACK_BOT_TOKEN and SLACK_APP_TOKEN", file=sys.stderr)
        return 2
    app_token = settings.slack_app_token.get_secret_value()
    with engine_for(settings) as engine:
        app = create_app(settings, engine=engine)
        handler = PromptSocketModeHandler(app, app_token)
        stopping = threading.Event()
        # Platforms stop processes with SIGTERM: close the connection so Slack stops sending.
        signal.signal(signal.SIGTERM, lambda *_: stopping.set())
        # The first URL is asked for here rather than by slack_sdk, which would log a refused
        # app token as an error before `uptake` says it in one line.
        handler.client.wss_uri = app.client.apps_connections_open(app_token=app_token)["url"]
        try:
            handler.connect()  # type: ignore[no-untyped-call]
            # Beating starts connected, so the first beat is at once rather than a minute on.
            with beating(engine, "socket", alive=handler.client.is_connected):
                logger.info("socket: answering Slack over Socket Mode")
                while not stopping.wait(timeout=1):
                    pass
            logger.info("socket: stopping")
        finally:
            handler.close()  # type: ignore[no-untyped-call]
    return 0


def clock(settings: Settings, _args: argparse.Namespace) -> int:
    """Run every scheduled job on its schedule until stopped."""
    from bot.clock import build_scheduler, job_specs
    from bot.ops.metrics import process_registry, serve_metrics

    client = clock_client(settings)
    with engine_for(settings, migrate=True) as engine:
        scheduler = build_scheduler(job_specs(settings, engine, client))
        for job in scheduler.get_jobs():
            logger.info("clock: %s — %s", job.id, job.name)
        if settings.metrics_port:
            serve_metrics(process_registry(engine), settings.metrics_port)
            logger.info("clock: metrics on port %d", settings.metrics_port)
        # Platforms stop processes with SIGTERM: finish the running job, then exit cleanly.
        signal.signal(signal.SIGTERM, lambda *_: scheduler.shutdown(wait=True))
        try:
            scheduler.start()
        except (KeyboardInterrupt, SystemExit):
            logger.info("clock: stopping")
    return 0


def clock_client(settings: Settings) -> WebClient | None:
    """The clock's Slack client; without SLACK_BOT_TOKEN, none, and a warning saying so."""
    from bot.app import make_client

    if settings.slack_bot_token is None:
        logger.warning(
            "clock: SLACK_BOT_TOKEN is not set, so tips and digests queue in the outbox "
            "and are not sent until it is"
        )
        return None
    return make_client(settings)


def jobs(settings: Settings, _args: argparse.Namespace) -> int:
    """Print each scheduled job and when it runs next."""
    from bot.app import make_client
    from bot.clock import job_specs
    from storage.models import utcnow

    client = make_client(settings) if settings.slack_bot_token else None
    with engine_for(settings) as engine:
        # The same jobs the clock registers, read without a scheduler (which would log each).
        specs = job_specs(settings, engine, client)
    now = utcnow()
    for spec in specs:
        next_run = spec.trigger.get_next_fire_time(None, now)
        when = next_run.isoformat(timespec="minutes") if next_run else "never"
        print(f"{spec.name:<20} next {when}  {spec.description}")
    return 0


def run_one_job(settings: Settings, args: argparse.Namespace) -> int:
    """Run one named job once, at `--now` if given."""
    from bot.app import make_client
    from bot.clock import job_specs, run_job

    client = make_client(settings) if settings.slack_bot_token else None
    with engine_for(settings, migrate=True) as engine:
        specs = job_specs(settings, engine, client)
        try:
            result = run_job(specs, args.name, args.now)
        except KeyError:
            names = ", ".join(spec.name for spec in specs)
            print(f"uptake run-job: no job {args.name!r}; jobs: {names}", file=sys.stderr)
            return 2
    print(f"{args.name}: {result}")
    return 0
