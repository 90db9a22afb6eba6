"""Images shown inside a message: uploaded privately first, then referenced by an image block.

Slack's external upload (files.getUploadURLExternal, the upload itself, then
files.completeUploadExternal) without a channel shares the file nowhere: nothing is posted and
no one is notified. A message's image block then names the file by id (`slack_file`), so the
picture arrives inside the message, in one notification. A file uploaded but never referenced
(the post failed and was never retried) stays private to the bot: harmless.

Slack may take a moment before a just-uploaded file can be referenced; a post made too early
is refused with `invalid_blocks` naming the `slack_file` (see `refers_to_unready_file`).
"""

from __future__ import annotations

from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

MAX_ALT_TEXT = 2000  # Slack's limit for an image block's alt_text
MAX_TITLE = 250


def upload_private_image(
    client: WebClient, content: bytes, *, filename: str, title: str, alt_text: str
) -> str:
    """Upload a PNG, JPEG or GIF shared with no conversation; its file id ("F…").

    Raises what the client raises (SlackApiError, or a transport error) when any step fails,
    or ValueError when its answer names no file.
    """
    response = client.files_upload_v2(
        content=content,
        filename=filename,
        title=title[:MAX_TITLE],
        alt_txt=alt_text[:MAX_ALT_TEXT],
    )
    files: list[dict[str, Any]] = response.get("files") or []
    file_id = str(files[0].get("id", "")) if files else ""
    if not file_id.startswith("F"):
        raise ValueError("Slack's upload answer named no file")
    return file_id


def image_block(file_id: str, *, alt_text: str, block_id: str | None = None) -> dict[str, Any]:
    """An image block showing an uploaded Slack file."""
    block: dict[str, Any] = {
        "type": "image",
        "slack_file": {"id": file_id},
        "alt_text": alt_text[:MAX_ALT_TEXT] or "Chart",
    }
    if block_id:
        block["block_id"] = block_id
    return block


def refers_to_unready_file(exc: SlackApiError) -> bool:
    """True when Slack refused blocks because a `slack_file` could not be used (yet)."""
    response = exc.response
    if response.get("error") != "invalid_blocks":
        return False
    details = [str(item) for item in response.get("errors") or []]
    metadata = response.get("response_metadata") or {}
    details += [str(item) for item in metadata.get("messages") or []]
    return any("slack_file" in detail or "slack file" in detail for detail in details)
