"""Slack mrkdwn as HTML, close to how Slack's clients show it.

Covers what Uptake's surfaces write: *bold*, _italic_, ~strike~, `code`, ```blocks```, links
(<url> and <url|text>), user and channel mentions (<@U…>, <#C…|name>), broadcasts (<!here>),
the three entities Slack decodes (&amp; &lt; &gt;) and line breaks. The emoji shortcodes
Uptake's own surfaces use are drawn as the emoji; any other stays as text. Everything else is
escaped, so no text from a block can inject markup into the page.
"""

from __future__ import annotations

import html
import re

# Slack's control sequences: <…> with a link, mention, channel or broadcast inside.
_CONTROL = re.compile(r"<([^<>\n]+)>")
_CODE_BLOCK = re.compile(r"```(.+?)```", re.DOTALL)
_CODE = re.compile(r"`([^`\n]+)`")
# Formatting marks that open after a non-word character and close before one, as in Slack.
_BOLD = re.compile(r"(?<![\w*])\*(?=\S)([^*\n]+?)(?<=\S)\*(?![\w*])")
_ITALIC = re.compile(r"(?<![\w_])_(?=\S)([^_\n]+?)(?<=\S)_(?![\w_])")
_STRIKE = re.compile(r"(?<![\w~])~(?=\S)([^~\n]+?)(?<=\S)~(?![\w~])")
# Stand-ins for finished HTML while the formatting marks are applied around it.
_HOLD = re.compile("\x00(\\d+)\x00")
_SAFE_SCHEMES = ("http://", "https://", "mailto:", "slack://")
#: The shortcodes Uptake's messages use, as Slack shows them.
EMOJI = {
    "warning": "\u26a0\ufe0f",
    "point_right": "\U0001f449",
    "hourglass_flowing_sand": "\u23f3",
    "eyes": "\U0001f440",
    "bulb": "\U0001f4a1",
}
_EMOJI = re.compile(r":([a-z0-9_+-]+):")


def mrkdwn_html(text: str) -> str:
    """`text` (Slack mrkdwn) as an HTML fragment."""
    held: list[str] = []

    def hold(fragment: str) -> str:
        held.append(fragment)
        return f"\x00{len(held) - 1}\x00"

    text = text.replace("\x00", "")
    text = _CODE_BLOCK.sub(lambda m: hold(f"<pre>{_escape(m.group(1).strip(chr(10)))}</pre>"), text)
    text = _CODE.sub(lambda m: hold(f"<code>{_escape(m.group(1))}</code>"), text)
    text = _CONTROL.sub(lambda m: hold(_control(m.group(1))), text)
    text = _escape(text)
    text = _BOLD.sub(r"<b>\1</b>", text)
    text = _ITALIC.sub(r"<i>\1</i>", text)
    text = _STRIKE.sub(r"<s>\1</s>", text)
    text = _EMOJI.sub(lambda m: EMOJI.get(m.group(1), m.group(0)), text)
    text = text.replace("\n", "<br>")
    while _HOLD.search(text):  # a held fragment never contains another's stand-in
        text = _HOLD.sub(lambda m: held[int(m.group(1))], text)
    return text


def plain_html(text: str) -> str:
    """Plain text (a header, a button label) as an HTML fragment."""
    return html.escape(text, quote=False).replace("\n", "<br>")


def _escape(text: str) -> str:
    """Slack's three entities decoded, then everything escaped for HTML."""
    decoded = text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    return html.escape(decoded, quote=False)


def _control(inner: str) -> str:
    target, _, label = inner.partition("|")
    if target.startswith("@"):
        return f'<span class="mention">@{_escape(label or target[1:])}</span>'
    if target.startswith("#"):
        return f'<span class="mention">#{_escape(label or target[1:])}</span>'
    if target.startswith("!"):
        word = label or target[1:].split("^")[0]
        return f'<span class="mention">@{_escape(word)}</span>'
    shown = _escape(label or target)
    if not target.lower().startswith(_SAFE_SCHEMES):
        return shown  # not a link Slack would make: its text only
    return f'<a href="{html.escape(target, quote=True)}">{shown}</a>'
