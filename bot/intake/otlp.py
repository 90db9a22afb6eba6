"""The OTLP/HTTP metrics receiver: `POST /v1/metrics`, as the OTLP specification describes it.

Accepts binary protobuf (`application/x-protobuf`) and JSON (`application/json`), gzip or not,
from a sender holding one of `OTLP_TOKENS` (`Authorization: Bearer …`). Metrics only: logs and
traces, which can carry prompts, have no route. A malformed body is answered 400 with a
`google.rpc.Status` saying why; points Uptake cannot use are reported in `partial_success`.
"""

from __future__ import annotations

import datetime as dt
import hmac
import json
import logging
import zlib
from collections.abc import Callable, Iterable
from typing import Any

from google.protobuf import json_format
from google.protobuf.message import DecodeError
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
    ExportMetricsServiceResponse,
)
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from bot.intake.mapping import map_request
from bot.intake.record import note_freshness, record_points
from bot.settings import Settings

logger = logging.getLogger(__name__)

METRICS_PATH = "/v1/metrics"
PROTOBUF = "application/x-protobuf"
JSON = "application/json"
RETRY_AFTER_SECONDS = 30
#: How often one process notes, at most, that OTLP data arrived.
FRESHNESS_EVERY = dt.timedelta(minutes=1)

StartResponse = Callable[..., Any]

# google.rpc.Code values the OTLP spec uses in error bodies.
_INVALID_ARGUMENT = 3
_UNAUTHENTICATED = 16
_UNAVAILABLE = 14


class _Refused(Exception):
    def __init__(self, status: str, code: int, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


class OtlpIntake:
    """A WSGI app answering OTLP/HTTP metric exports."""

    def __init__(
        self,
        engine: Engine,
        settings: Settings,
        *,
        clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    ) -> None:
        self._engine = engine
        self._tokens = [
            (source, token.encode())
            for source, _, token in (
                pair.get_secret_value().partition(":") for pair in settings.otlp_tokens
            )
        ]
        self._max_bytes = settings.otlp_max_body_bytes
        self._clock = clock
        self._noted = dt.datetime.min.replace(tzinfo=dt.UTC)

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        content_type = _media_type(environ.get("CONTENT_TYPE", ""))
        answer_type = JSON if content_type == JSON else PROTOBUF
        try:
            if environ.get("REQUEST_METHOD") != "POST":
                raise _Refused("405 Method Not Allowed", _INVALID_ARGUMENT, "use POST")
            source = self._authenticate(environ)
            if content_type not in {PROTOBUF, JSON}:
                raise _Refused(
                    "415 Unsupported Media Type",
                    _INVALID_ARGUMENT,
                    f"Content-Type must be {PROTOBUF} or {JSON}",
                )
            request = _parse(self._body(environ), content_type)
            mapped = map_request(request, source=source)
            try:
                now = self._clock()
                record_points(self._engine, mapped.points, now=now)
                if mapped.points and now - self._noted >= FRESHNESS_EVERY:
                    self._noted = now
                    note_freshness(self._engine, now=now)
            except SQLAlchemyError as exc:
                logger.error("OTLP intake: database unavailable (%s)", type(exc).__name__)
                raise _Refused(
                    "503 Service Unavailable", _UNAVAILABLE, "storage unavailable; retry"
                ) from None
        except _Refused as refused:
            return _status(start_response, refused, answer_type)
        response = ExportMetricsServiceResponse()
        if mapped.rejected:
            response.partial_success.rejected_data_points = mapped.rejected
            response.partial_success.error_message = "; ".join(mapped.reasons)
        logger.info("OTLP intake: %d points kept, %d rejected", len(mapped.points), mapped.rejected)
        return _reply(start_response, "200 OK", response, answer_type)

    def _authenticate(self, environ: dict[str, Any]) -> str:
        scheme, _, presented = environ.get("HTTP_AUTHORIZATION", "").partition(" ")
        offered = presented.strip().encode()
        found = None
        for source, token in self._tokens:  # every token compared: timing says nothing
            if hmac.compare_digest(offered, token) and scheme.lower() == "bearer":
                found = source
        if found is None:
            raise _Refused(
                "401 Unauthorized", _UNAUTHENTICATED, "a valid `Authorization: Bearer` is needed"
            )
        return found

    def _body(self, environ: dict[str, Any]) -> bytes:
        too_large = _Refused(
            "413 Content Too Large",
            _INVALID_ARGUMENT,
            f"the body is larger than {self._max_bytes} bytes; export smaller batches",
        )
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            raise _Refused("400 Bad Request", _INVALID_ARGUMENT, "bad Content-Length") from None
        if length > self._max_bytes:
            raise too_large  # unread
        body: bytes = environ["wsgi.input"].read(length) if length else b""
        encoding = environ.get("HTTP_CONTENT_ENCODING", "").strip().lower()
        if encoding in {"", "identity"}:
            return body
        if encoding != "gzip":
            raise _Refused(
                "415 Unsupported Media Type", _INVALID_ARGUMENT, "Content-Encoding must be gzip"
            )
        inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
        try:
            plain = inflater.decompress(body, self._max_bytes + 1)
        except zlib.error:
            raise _Refused(
                "400 Bad Request", _INVALID_ARGUMENT, "the body is not valid gzip"
            ) from None
        if len(plain) > self._max_bytes or inflater.unconsumed_tail:
            raise too_large
        return plain


def _parse(body: bytes, content_type: str) -> ExportMetricsServiceRequest:
    request = ExportMetricsServiceRequest()
    try:
        if content_type == JSON:
            json_format.Parse(body.decode("utf-8"), request, ignore_unknown_fields=True)
        else:
            request.ParseFromString(body)
    except (DecodeError, json_format.ParseError, UnicodeDecodeError, RecursionError) as exc:
        kind = "JSON" if content_type == JSON else "protobuf"
        detail = str(exc).splitlines()[0][:200] if content_type == JSON else "cannot be decoded"
        raise _Refused(
            "400 Bad Request",
            _INVALID_ARGUMENT,
            f"the body is not an OTLP ExportMetricsServiceRequest in {kind}: {detail}",
        ) from None
    return request


def _media_type(header: str) -> str:
    return header.split(";", 1)[0].strip().lower()


def _status(start_response: StartResponse, refused: _Refused, answer_type: str) -> list[bytes]:
    """A google.rpc.Status body, in the request's encoding (protobuf written by hand: 2 fields)."""
    if answer_type == JSON:
        body = json.dumps({"code": refused.code, "message": refused.message}).encode()
    else:
        message = refused.message.encode()
        body = b"\x08" + _varint(refused.code) + b"\x12" + _varint(len(message)) + message
    headers = [("Content-Type", answer_type), ("Content-Length", str(len(body)))]
    if refused.status.startswith("503"):
        headers.append(("Retry-After", str(RETRY_AFTER_SECONDS)))
    start_response(refused.status, headers)
    return [body]


def _reply(
    start_response: StartResponse,
    status: str,
    message: ExportMetricsServiceResponse,
    answer_type: str,
) -> list[bytes]:
    body = (
        json_format.MessageToJson(message, indent=None).encode()
        if answer_type == JSON
        else message.SerializeToString()
    )
    start_response(status, [("Content-Type", answer_type), ("Content-Length", str(len(body)))])
    return [body]


def _varint(number: int) -> bytes:
    out = bytearray()
    while True:
        byte, number = number & 0x7F, number >> 7
        out.append(byte | (0x80 if number else 0))
        if not number:
            return bytes(out)
