"""Helpers driving the intake: the real OpenTelemetry SDK and exporter, payloads, row reads."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from opentelemetry.exporter.otlp.proto.http import Compression
from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
)
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.metrics.v1.metrics_pb2 import AggregationTemporality as Temporality
from opentelemetry.sdk.metrics import Counter, MeterProvider
from opentelemetry.sdk.metrics.export import AggregationTemporality, PeriodicExportingMetricReader
from opentelemetry.sdk.resources import Resource
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel

from storage.models import DailyUsage, Identity

CLAUDE_METRICS = (
    ("claude_code.session.count", "count"),
    ("claude_code.lines_of_code.count", "count"),
    ("claude_code.commit.count", "count"),
    ("claude_code.pull_request.count", "count"),
    ("claude_code.code_edit_tool.decision", "count"),
    ("claude_code.token.usage", "tokens"),
    ("claude_code.cost.usage", "USD"),
    ("claude_code.active_time.total", "s"),
)
COPILOT_METRICS = (
    ("copilot_chat.session.count", "sessions"),
    ("copilot_chat.lines_of_code.count", "lines"),
    ("copilot_chat.edit.acceptance.count", "edits"),
    ("copilot_chat.pull_request.count", "PRs"),
    ("copilot_chat.tool.call.count", "calls"),
)


class ClaudeCodeLike:
    """An exporter process emitting Claude Code's metric names through the real OTel SDK.

    Exports happen only on `export()` (the reader's own timer is set to never fire), so a test
    decides exactly what each export holds. `restart()` is a new process: new start time,
    counters back at zero.
    """

    def __init__(
        self,
        url: str,
        token: str,
        *,
        delta: bool = False,
        gzip: bool = False,
        resource: dict[str, str] | None = None,
    ) -> None:
        self._url, self._token, self._delta, self._gzip = url, token, delta, gzip
        self._resource = resource or {"service.name": "claude-code", "service.version": "2.0.0"}
        self._start()

    meter_name = "com.anthropic.claude_code"
    metrics = CLAUDE_METRICS
    prefix = "claude_code."

    def _start(self) -> None:
        temporality = (
            AggregationTemporality.DELTA if self._delta else AggregationTemporality.CUMULATIVE
        )
        exporter = OTLPMetricExporter(
            endpoint=self._url,
            headers={"Authorization": f"Bearer {self._token}"},
            compression=Compression.Gzip if self._gzip else Compression.NoCompression,
            preferred_temporality={Counter: temporality},
            timeout=10,
        )
        self._reader = PeriodicExportingMetricReader(exporter, export_interval_millis=10**9)
        self.provider = MeterProvider(
            resource=Resource.create(self._resource), metric_readers=[self._reader]
        )
        meter = self.provider.get_meter(self.meter_name)
        self.counters = {name: meter.create_counter(name, unit=unit) for name, unit in self.metrics}

    def add(self, metric: str, amount: float, attributes: dict[str, str]) -> None:
        """Count on one of the tool's counters (named without the tool's prefix)."""
        self.counters[f"{self.prefix}{metric}"].add(amount, attributes)

    def export(self) -> None:
        """Collect and send everything now, as the exporter's timer would."""
        assert self.provider.force_flush(timeout_millis=10_000)

    def restart(self) -> None:
        """Shut this process down (its last export goes out) and start a new one."""
        self.provider.shutdown()
        self._start()

    def close(self) -> None:
        """Shut down without a further export mattering."""
        self.provider.shutdown()


class CopilotChatLike(ClaudeCodeLike):
    """An exporter emitting Copilot Chat's metric names (VS Code's agent-monitoring docs)."""

    meter_name = "copilot-chat"
    metrics = COPILOT_METRICS
    prefix = "copilot_chat."


def attributes(**values: str) -> list[KeyValue]:
    """OTLP attributes from keyword arguments (dots spelled as double underscores)."""
    return [
        KeyValue(key=key.replace("__", "."), value=AnyValue(string_value=value))
        for key, value in values.items()
    ]


def payload(
    metric: str,
    value: float,
    *,
    start: int,
    time: int,
    cumulative: bool = True,
    point: dict[str, str] | None = None,
    resource: dict[str, str] | None = None,
) -> ExportMetricsServiceRequest:
    """An export request holding one point of one monotonic counter."""
    request = ExportMetricsServiceRequest()
    resource_metrics = request.resource_metrics.add()
    resource_metrics.resource.attributes.extend(
        attributes(**{k.replace(".", "__"): v for k, v in (resource or {}).items()})
    )
    metric_message = resource_metrics.scope_metrics.add().metrics.add()
    metric_message.name = metric
    metric_message.sum.is_monotonic = True
    metric_message.sum.aggregation_temporality = (
        Temporality.AGGREGATION_TEMPORALITY_CUMULATIVE
        if cumulative
        else Temporality.AGGREGATION_TEMPORALITY_DELTA
    )
    data_point = metric_message.sum.data_points.add()
    data_point.start_time_unix_nano = start
    data_point.time_unix_nano = time
    data_point.as_double = value
    data_point.attributes.extend(
        attributes(**{k.replace(".", "__"): v for k, v in (point or {}).items()})
    )
    return request


def nanos(moment: dt.datetime) -> int:
    """Unix nanoseconds of a moment."""
    return int(moment.timestamp()) * 10**9


def day_row(engine: Engine, external_id: str, day: dt.date) -> dict[str, Any] | None:
    """The stored day of the identity with this external id, as a dict."""
    with Session(engine) as session:
        row = session.execute(
            sa.select(DailyUsage)
            .join(Identity, Identity.id == DailyUsage.identity_id)  # type: ignore[arg-type]
            .where(Identity.external_id == external_id, DailyUsage.day == day)  # type: ignore[arg-type]
        ).scalar_one_or_none()
        return None if row is None else row.model_dump()


def database_text(engine: Engine) -> str:
    """Every value in every table, as one string to search."""
    parts = []
    with engine.connect() as connection:
        for table in SQLModel.metadata.sorted_tables:
            for row in connection.execute(sa.select(table)):
                parts.append(repr(tuple(row)))
    return "\n".join(parts)
