"""Block Kit as a static HTML page that looks like Slack, at a phone's or a desktop's width.

Renders what Uptake's surfaces use: header, section (text, fields, an accessory), context,
divider, actions (buttons, overflow menus, static selects), image blocks (a `slack_file` by id
or an `image_url`), and mrkdwn (see `bot.preview.mrkdwn`). A block it does not know is shown as
a marked placeholder rather than left out, so a preview never hides a block.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bot.preview.mrkdwn import mrkdwn_html, plain_html

PHONE_WIDTH = 390
DESKTOP_WIDTH = 1024
WIDTHS = {"phone": PHONE_WIDTH, "desktop": DESKTOP_WIDTH}

Block = Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class Frame:
    """Where the blocks appear: a message (ephemeral or not) or the App Home tab."""

    title: str  # e.g. "/myusage", "App Home", "Weekly digest (DM)"
    kind: str = "message"  # message | home
    ephemeral: bool = False
    sender: str = "Uptake"


def render_page(
    blocks: Sequence[Block],
    *,
    frame: Frame,
    width: int,
    images: Mapping[str, str] | None = None,
) -> str:
    """A whole HTML page showing `blocks` as Slack would, `width` CSS pixels wide.

    `images` maps a `slack_file` id to the file (or data URI) to show in its place.
    """
    images = images or {}
    body = "\n".join(render_block(block, images) for block in blocks)
    if frame.kind == "home":
        surface = f'<div class="home">{body}</div>'
    else:
        note = '<div class="ephemeral">Only visible to you</div>' if frame.ephemeral else ""
        surface = (
            f'<div class="message">{note}<div class="avatar">U</div><div class="content">'
            f'<div class="sender"><b>{plain_html(frame.sender)}</b> <span class="app">APP'
            f"</span></div>{body}</div></div>"
        )
    return _PAGE.format(
        title=plain_html(frame.title),
        width=width,
        css=_CSS,
        bar=plain_html(frame.title),
        surface=surface,
    )


def render_block(block: Block, images: Mapping[str, str]) -> str:
    """One block as HTML."""
    kind = block.get("type")
    if kind == "header":
        return f'<div class="header">{plain_html(block["text"]["text"])}</div>'
    if kind == "section":
        return _section(block, images)
    if kind == "context":
        parts = [_context_element(element, images) for element in block.get("elements", [])]
        return f'<div class="context">{"".join(parts)}</div>'
    if kind == "divider":
        return '<hr class="divider">'
    if kind == "actions":
        parts = [_element(element) for element in block.get("elements", [])]
        return f'<div class="actions">{"".join(parts)}</div>'
    if kind == "image":
        return _image(block, images)
    return f'<div class="unknown">[{html.escape(str(kind))} block]</div>'


def _text(obj: Mapping[str, Any] | None) -> str:
    if not obj:
        return ""
    if obj.get("type") == "mrkdwn":
        return mrkdwn_html(str(obj.get("text", "")))
    return plain_html(str(obj.get("text", "")))


def _section(block: Block, images: Mapping[str, str]) -> str:
    text = f'<div class="text">{_text(block.get("text"))}</div>' if block.get("text") else ""
    fields = block.get("fields") or []
    if fields:
        cells = "".join(f'<div class="field">{_text(field)}</div>' for field in fields)
        text += f'<div class="fields">{cells}</div>'
    accessory = block.get("accessory")
    if accessory is None:
        return f'<div class="section">{text}</div>'
    if accessory.get("type") == "image":
        side = _image_tag(accessory, images, "thumb")
    else:
        side = _element(accessory)
    return f'<div class="section with-accessory"><div class="main">{text}</div>{side}</div>'


def _context_element(element: Mapping[str, Any], images: Mapping[str, str]) -> str:
    if element.get("type") == "image":
        return _image_tag(element, images, "context-image")
    return f"<span>{_text(element)}</span>"


def _element(element: Mapping[str, Any]) -> str:
    kind = element.get("type")
    if kind == "button":
        style = element.get("style")
        css = f"button {style}" if style in ("primary", "danger") else "button"
        return f'<span class="{css}">{_text(element.get("text"))}</span>'
    if kind == "overflow":
        return '<span class="button overflow" title="More actions">&#8943;</span>'
    if kind in ("static_select", "external_select", "users_select", "conversations_select"):
        chosen = element.get("initial_option", {}).get("text") or element.get("placeholder")
        return f'<span class="select">{_text(chosen) or "Select"} &#9662;</span>'
    if kind == "datepicker":
        shown = element.get("initial_date") or _text(element.get("placeholder")) or "Pick a date"
        return f'<span class="select">&#128197; {html.escape(shown)}</span>'
    return f'<span class="unknown">[{html.escape(str(kind))}]</span>'


def _image(block: Block, images: Mapping[str, str]) -> str:
    title = block.get("title")
    caption = f'<div class="image-title">{_text(title)}</div>' if title else ""
    return f'<div class="image">{caption}{_image_tag(block, images, "")}</div>'


def _image_tag(element: Mapping[str, Any], images: Mapping[str, str], css: str) -> str:
    alt = html.escape(str(element.get("alt_text", "")), quote=True)
    source = element.get("image_url")
    file = element.get("slack_file") or {}
    if source is None:
        source = images.get(str(file.get("id", ""))) or file.get("url")
    if not source:
        return f'<div class="missing-image {css}">[image: {alt}]</div>'
    return f'<img class="{css}" src="{html.escape(str(source), quote=True)}" alt="{alt}">'


_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width={width}">
<title>{title}</title>
<style>
body {{ width: {width}px; }}
{css}
</style>
</head>
<body>
<div class="bar">{bar}</div>
{surface}
</body>
</html>
"""

_CSS = """
* { box-sizing: border-box; }
html { background: #ffffff; }
body { margin: 0; font: 15px/1.46668 "Lato", "Helvetica Neue", Helvetica, Arial, sans-serif;
  color: #1d1c1d; -webkit-font-smoothing: antialiased; }
.bar { background: #3f0e40; color: #ffffff; font-weight: 700; padding: 10px 16px; }
.message { position: relative; padding: 8px 16px 12px 68px; }
.ephemeral { color: #616061; font-size: 12px; margin: 0 0 4px; }
.avatar { position: absolute; left: 16px; top: 12px; width: 36px; height: 36px;
  border-radius: 6px; background: #2eb67d; color: #ffffff; font-weight: 900;
  text-align: center; line-height: 36px; }
.ephemeral + .avatar { top: 30px; }
.sender { margin-bottom: 2px; }
.app { background: #e8e8e8; color: #616061; font-size: 10px; font-weight: 700;
  padding: 1px 3px; border-radius: 2px; vertical-align: 1px; }
.home { padding: 12px 20px 20px; }
.header { font-size: 18px; font-weight: 900; line-height: 1.33; margin: 8px 0 4px; }
.section { margin: 4px 0; overflow-wrap: anywhere; }
.with-accessory { display: flex; gap: 12px; align-items: flex-start; }
.with-accessory .main { flex: 1 1 auto; min-width: 0; }
.fields { display: grid; grid-template-columns: 1fr 1fr; gap: 8px 16px; margin-top: 4px; }
.context { color: #616061; font-size: 12px; line-height: 1.5; margin: 6px 0;
  overflow-wrap: anywhere; }
.context > span { margin-right: 10px; }
.context-image { width: 16px; height: 16px; vertical-align: middle; }
.divider { border: 0; border-top: 1px solid #dddddd; margin: 12px 0; }
.actions { display: flex; flex-wrap: wrap; gap: 8px; margin: 8px 0; }
.button, .select { display: inline-block; border: 1px solid #bbbabb; border-radius: 4px;
  padding: 3px 12px; font-size: 13px; font-weight: 700; background: #ffffff;
  white-space: nowrap; }
.button.primary { background: #007a5a; border-color: #007a5a; color: #ffffff; }
.button.danger { background: #e01e5a; border-color: #e01e5a; color: #ffffff; }
.select { font-weight: 400; }
.overflow { padding: 3px 8px; }
.image { margin: 8px 0; }
.image img { max-width: 100%; max-height: 420px; border-radius: 6px;
  border: 1px solid #eeeeee; display: block; }
.image-title { font-size: 13px; color: #616061; margin-bottom: 4px; }
.thumb { width: 88px; height: 88px; border-radius: 6px; object-fit: cover; }
.missing-image, .unknown { color: #e01e5a; font-size: 12px; border: 1px dashed #e01e5a;
  padding: 4px; }
code { font: 12px/1.5 Menlo, Consolas, monospace; color: #c01343; background: #f6f6f6;
  border: 1px solid #dddddd; border-radius: 3px; padding: 1px 3px; }
pre { font: 12px/1.5 Menlo, Consolas, monospace; background: #f8f8f8;
  border: 1px solid #dddddd; border-radius: 4px; padding: 8px; white-space: pre-wrap; }
a { color: #1264a3; text-decoration: none; }
.mention { color: #1264a3; background: #e8f5fa; border-radius: 3px; padding: 0 2px; }
"""
