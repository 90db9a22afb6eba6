"""Which OpenTelemetry metrics Uptake keeps, and what each point adds to a person's day.

Only the metrics below are read; every other metric, and every attribute value other than the
few the rules name (`type`, `decision`) and the account attributes, is ignored and never stored.
Names, attributes and units are the vendors' published ones (tests/fixtures/otlp/SOURCES.md):

- Claude Code (monitoring-usage docs): `claude_code.*` counters, people by `user.email`,
  else `user.account_uuid`; `user.id` is an anonymous installation id.
- Gemini CLI (docs/cli/telemetry.md): `gemini_cli.*` counters, people by `user.email`
  (present when signed in with a Google account); `installation.id` is anonymous.

- GitHub Copilot Chat in VS Code and the Copilot CLI (the extension's agent-monitoring docs):
  `copilot_chat.*` counters. Their metrics carry no person attribute of their own (the
  authenticated account goes only on spans, and only when identity capture is allowed), so a
  person is named by a `user.email` resource attribute that the organisation sets in the managed
  `OTEL_RESOURCE_ATTRIBUTES`; `session.id` (one per editor window) is anonymous. The GenAI
  histograms (`gen_ai.client.*`) are latencies and token spreads, not kept.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
)
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.metrics.v1.metrics_pb2 import AggregationTemporality, Metric

from bot.tools import CLAUDE_CODE, COPILOT
from storage.otlp import CounterPoint

GEMINI_CLI = "gemini_cli"
SOURCE = "otlp"  # the daily rows' source, and the freshness line's
MAX_EXTERNAL_ID = 320
MAX_REASONS = 5

Attributes = Mapping[str, str]
Columns = Callable[[Attributes], tuple[str, ...]]


@dataclass(frozen=True, slots=True)
class Rule:
    """What one metric's points add to: daily-usage columns, `active`, in units of 1/scale."""

    tool: str
    columns: Columns
    scale: int = 1


def _always(*columns: str) -> Columns:
    return lambda _attributes: columns


def _by(attribute: str, choices: Mapping[str, tuple[str, ...]]) -> Columns:
    return lambda attributes: choices.get(attributes.get(attribute, ""), ())


_LINES = {
    "added": ("active", "lines_added", "lines_accepted"),
    "removed": ("active", "lines_removed"),
}
_TOKENS = {"input": ("active", "input_tokens"), "output": ("active", "output_tokens")}
_DECISIONS = {
    "accepted": ("active", "generations", "acceptances", "edits_accepted"),
    "rejected": ("active", "generations", "edits_rejected"),
}
#: Copilot reports a file's decision and, separately, each hunk's (`chat_editing_hunk`): only
#: whole edits are counted, so one decision is not counted once per hunk as well.
_COPILOT_HUNKS = "chat_editing_hunk"


def _copilot_edit(attributes: Attributes) -> tuple[str, ...]:
    if attributes.get("copilot_chat.edit.source") == _COPILOT_HUNKS:
        return ()
    return _DECISIONS.get(attributes.get("copilot_chat.edit.outcome", ""), ())


RULES: dict[str, Rule] = {
    "claude_code.session.count": Rule(CLAUDE_CODE, _always("active", "interactions")),
    "claude_code.lines_of_code.count": Rule(CLAUDE_CODE, _by("type", _LINES)),
    "claude_code.commit.count": Rule(CLAUDE_CODE, _always("active", "commits")),
    "claude_code.pull_request.count": Rule(CLAUDE_CODE, _always("active", "pull_requests")),
    "claude_code.code_edit_tool.decision": Rule(
        CLAUDE_CODE,
        _by(
            "decision",
            {
                "accept": ("active", "generations", "acceptances", "edits_accepted"),
                "reject": ("active", "generations", "edits_rejected"),
            },
        ),
    ),
    "claude_code.token.usage": Rule(CLAUDE_CODE, _by("type", _TOKENS)),
    "claude_code.cost.usage": Rule(CLAUDE_CODE, _always("active", "cost_cents"), scale=100),
    "claude_code.active_time.total": Rule(CLAUDE_CODE, _always("active")),
    "gemini_cli.session.count": Rule(GEMINI_CLI, _always("active", "interactions")),
    "gemini_cli.token.usage": Rule(GEMINI_CLI, _by("type", _TOKENS)),
    "gemini_cli.lines.changed": Rule(GEMINI_CLI, _by("type", _LINES)),
    "gemini_cli.api.request.count": Rule(GEMINI_CLI, _always("active", "cli_requests")),
    "gemini_cli.tool.call.count": Rule(GEMINI_CLI, _always("active", "agent_requests")),
    "copilot_chat.session.count": Rule(COPILOT, _always("active", "interactions")),
    "copilot_chat.lines_of_code.count": Rule(COPILOT, _by("type", _LINES)),
    "copilot_chat.edit.acceptance.count": Rule(COPILOT, _copilot_edit),
    "copilot_chat.pull_request.count": Rule(COPILOT, _always("active", "pull_requests")),
    "copilot_chat.tool.call.count": Rule(COPILOT, _always("active", "agent_requests")),
}

# Per tool: the attribute naming a person's account, in order of preference, and its kind.
_ACCOUNT_ATTRIBUTES: dict[str, tuple[tuple[str, str], ...]] = {
    CLAUDE_CODE: (("user.email", "email"), ("user.account_uuid", "account"), ("user.id", "device")),
    GEMINI_CLI: (("user.email", "email"), ("installation.id", "device")),
    COPILOT: (("user.email", "email"), ("session.id", "device")),
}


@dataclass(frozen=True, slots=True)
class Account:
    """The tool account a point belongs to; a device account is anonymous and never linked."""

    tool: str
    external_id: str
    email: str | None
    anonymous: bool


@dataclass(frozen=True, slots=True)
class MappedPoint:
    """One counter point Uptake keeps, with what it adds to."""

    account: Account
    day: dt.date
    columns: tuple[str, ...]
    scale: int
    point: CounterPoint


@dataclass(slots=True)
class MappedRequest:
    """A request's points that Uptake keeps, and the ones it refused with why."""

    points: list[MappedPoint] = field(default_factory=list)
    rejected: int = 0
    reasons: list[str] = field(default_factory=list)

    def refuse(self, reason: str) -> None:
        """Count one refused point; keep the first few distinct reasons."""
        self.rejected += 1
        if reason not in self.reasons and len(self.reasons) < MAX_REASONS:
            self.reasons.append(reason)


def map_request(request: ExportMetricsServiceRequest, *, source: str) -> MappedRequest:
    """The points of `request` that Uptake keeps; `source` names the sender's token."""
    mapped = MappedRequest()
    for resource_metrics in request.resource_metrics:
        resource = _attributes(resource_metrics.resource.attributes)
        for scope_metrics in resource_metrics.scope_metrics:
            for metric in scope_metrics.metrics:
                rule = RULES.get(metric.name)
                if rule is not None:
                    _map_metric(mapped, metric, rule, resource, source)
    return mapped


def _map_metric(
    mapped: MappedRequest, metric: Metric, rule: Rule, resource: Attributes, source: str
) -> None:
    if metric.WhichOneof("data") != "sum":
        mapped.refuse(f"{metric.name} must be a Sum")
        return
    total = metric.sum
    if not total.is_monotonic:
        mapped.refuse(f"{metric.name} must be monotonic")
        return
    temporality = total.aggregation_temporality
    if temporality not in {
        AggregationTemporality.AGGREGATION_TEMPORALITY_CUMULATIVE,
        AggregationTemporality.AGGREGATION_TEMPORALITY_DELTA,
    }:
        mapped.refuse(f"{metric.name} has no aggregation temporality")
        return
    cumulative = temporality == AggregationTemporality.AGGREGATION_TEMPORALITY_CUMULATIVE
    for data_point in total.data_points:
        attributes = {**resource, **_attributes(data_point.attributes)}
        columns = rule.columns(attributes)
        if not columns:
            continue  # a kind this metric has that Uptake does not keep (cache tokens, say)
        account = _account(rule.tool, attributes)
        if account is None:
            mapped.refuse(f"{metric.name} point names no account (user.email or an id)")
            continue
        value = (
            float(data_point.as_int)
            if data_point.WhichOneof("value") == "as_int"
            else data_point.as_double
        )
        if not data_point.time_unix_nano or not math.isfinite(value) or value < 0:
            mapped.refuse(f"{metric.name} point has no time or a negative value")
            continue
        mapped.points.append(
            MappedPoint(
                account=account,
                day=dt.datetime.fromtimestamp(data_point.time_unix_nano / 1e9, dt.UTC).date(),
                columns=columns,
                scale=rule.scale,
                point=CounterPoint(
                    # A cumulative run is its own series (two processes sharing attributes
                    # never interleave); a delta series' start moves with every point.
                    series_key=_series_key(
                        source,
                        account,
                        metric.name,
                        attributes,
                        data_point.start_time_unix_nano if cumulative else None,
                    ),
                    start_unix_nano=data_point.start_time_unix_nano,
                    time_unix_nano=data_point.time_unix_nano,
                    value=value,
                    cumulative=cumulative,
                ),
            )
        )


def _account(tool: str, attributes: Attributes) -> Account | None:
    for name, kind in _ACCOUNT_ATTRIBUTES[tool]:
        value = attributes.get(name, "").strip()
        if not value:
            continue
        if kind == "email":
            email = value.lower()
            if "@" not in email or len(email) > MAX_EXTERNAL_ID - 5:
                continue
            return Account(tool, f"otel:{email}", email, anonymous=False)
        return Account(tool, _bounded(f"otel-{kind}:{value}"), None, anonymous=kind == "device")
    return None


def _bounded(external_id: str) -> str:
    if len(external_id) <= MAX_EXTERNAL_ID:
        return external_id
    return external_id[:40] + "#" + hashlib.sha256(external_id.encode()).hexdigest()


def _series_key(
    source: str, account: Account, metric: str, attributes: Attributes, start: int | None
) -> str:
    """A series' identity: a hash, so no attribute value is stored."""
    text = json.dumps(
        [source, account.tool, account.external_id, metric, sorted(attributes.items()), start],
        separators=(",", ":"),
    )
    return hashlib.sha256(text.encode()).hexdigest()


def _attributes(pairs: Iterable[KeyValue]) -> dict[str, str]:
    return {pair.key: _text(pair.value) for pair in pairs}


def _text(value: AnyValue) -> str:
    kind = value.WhichOneof("value")
    if kind == "string_value":
        return value.string_value
    if kind in {"bool_value", "int_value", "double_value"}:
        return str(getattr(value, kind, ""))
    return str(
        value.SerializeToString(deterministic=True).hex()
    )  # arrays, maps, bytes: hashed only
