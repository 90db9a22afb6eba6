"""`/myusage`: a person's own AI tool usage, answered ephemerally."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot.gateway.work_pool import WorkPool
from bot.myusage import answer_command, parse_myusage
from bot.services import Services

MYUSAGE_COMMAND = "/myusage"


def register(app: App, services: Services) -> None:
    """Register `/myusage`."""
    pool = app.listener_runner.listener_executor
    if isinstance(pool, WorkPool):
        # Charts are drawn only while nothing waits to be answered, and not after shutdown.
        services.charts.watch(lambda: pool.pending > 0, lambda: pool.closed)

    @app.command(MYUSAGE_COMMAND)
    def myusage(ack: Ack, command: dict[str, Any], respond: Respond, client: WebClient) -> None:
        """Your own AI coding tool usage: `/myusage [7d|28d|90d|links|help]`. Only you see it."""
        # Ack before touching the database so Slack's 3-second limit holds when it is slow.
        ack()
        request = parse_myusage(command.get("text", ""))
        answer = answer_command(
            services, client, command["user_id"], command.get("team_id"), request
        )
        respond(
            blocks=answer.blocks,
            text=answer.text,
            response_type="ephemeral",
            replace_original=False,
        )
        # The figures are out; the chart follows in the same message once drawn.
        if answer.chart is not None and answer.with_chart and command.get("response_url"):
            services.charts.follow_up(
                answer.chart,
                client=client,
                response_url=command["response_url"],
                render=answer.with_chart,
                text=answer.text,
            )
