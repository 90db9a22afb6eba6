"""A chart inside an outbox message: drawn, uploaded privately, then shown by an image block.

Used by the outbox's sender (bot/outbox.py explains how this keeps each message posted at most
once): the upload is shared with no conversation, and only the message that shows it is seen.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.charts.spec import draw_spec, spec_alt_text
from bot.slack_files import image_block, upload_private_image
from storage.models import OutboxMessage

logger = logging.getLogger(__name__)


def blocks_with_chart(
    client: WebClient,
    message: OutboxMessage,
    chart: dict[str, Any],
    blocks: list[dict[str, Any]],
    *,
    remember: Callable[[dict[str, Any]], bool],
) -> list[dict[str, Any]] | None:
    """`blocks` with the chart's image after the header (at the end if there is none).

    The chart is uploaded unless an earlier attempt did (its id is then in the payload). The
    new file's id is handed to `remember`, with the whole new payload, before anything is
    posted; None when it could not be remembered (the claim was lost: nothing may be posted).
    `blocks` alone when the chart cannot be drawn or Slack refuses the upload for good.
    Transient upload failures (429, 5xx, a dropped connection) raise, and the message is
    retried like any other: the upload left behind, if any, is private and harmless.
    """
    file_id = chart.get("file_id")
    try:
        alt_text = spec_alt_text(chart)
        png = b"" if file_id else draw_spec(chart)
    except Exception:  # a chart that cannot be drawn must not hold its message back
        logger.exception("outbox %s: drawing its chart failed, sent without it", message.id)
        return blocks
    if not file_id:
        try:
            file_id = upload_private_image(
                client,
                png,
                filename=str(chart.get("filename") or "chart.png"),
                title=str(chart.get("title") or "Chart"),
                alt_text=alt_text,
            )
        except SlackApiError as exc:
            if exc.response.status_code == 429 or exc.response.status_code >= 500:
                raise
            error = exc.response.get("error", "unknown_error")
            logger.error("outbox %s: chart upload refused (%s), sent without it", message.id, error)
            return blocks
        except ValueError:  # Slack answered without a file: nothing to show
            logger.error("outbox %s: chart upload gave no file, sent without it", message.id)
            return blocks
        payload = {**message.payload, "chart": {**chart, "file_id": file_id}}
        if not remember(payload):
            return None
        message.payload = payload
    at = next(
        (i + 1 for i, block in enumerate(blocks) if block.get("type") == "header"), len(blocks)
    )
    return [*blocks[:at], image_block(str(file_id), alt_text=alt_text), *blocks[at:]]
