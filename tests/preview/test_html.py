"""The HTML renderer: Slack's mrkdwn and the Block Kit elements Uptake uses, with nothing from
a block able to inject markup into the page."""

from __future__ import annotations

import pytest

from bot.preview.html import Frame, render_block, render_page
from bot.preview.mrkdwn import mrkdwn_html


@pytest.mark.parametrize(
    ("text", "html"),
    [
        ("*bold* and _italic_ and ~gone~", "<b>bold</b> and <i>italic</i> and <s>gone</s>"),
        ("run `/myusage 7d`", "run <code>/myusage 7d</code>"),
        ("`*not bold*`", "<code>*not bold*</code>"),
        ("tier_days and snake_case_name", "tier_days and snake_case_name"),
        ("2 * 3 * 4", "2 * 3 * 4"),
        (
            "<https://example.com/a_b_c|the *docs*>",
            '<a href="https://example.com/a_b_c">the *docs*</a>',
        ),
        ("<https://example.com>", '<a href="https://example.com">https://example.com</a>'),
        (
            "<@U012AB3CD> and <#C0123|general> and <!here>",
            '<span class="mention">@U012AB3CD</span> and <span class="mention">#general</span> '
            'and <span class="mention">@here</span>',
        ),
        (":point_right: *Do* this", "\U0001f449 <b>Do</b> this"),
        ("one\ntwo", "one<br>two"),
        ("a &lt;b&gt; &amp; c", "a &lt;b&gt; &amp; c"),
        ("```line one\n*two*```", "<pre>line one\n*two*</pre>"),
    ],
)
def test_mrkdwn_renders_like_slack(text: str, html: str) -> None:
    assert mrkdwn_html(text) == html


@pytest.mark.parametrize(
    "attack",
    [
        "<script>alert(1)</script>",
        "&lt;script&gt;alert(1)&lt;/script&gt;",
        "<javascript:alert(1)|click>",
        '<https://x.example/"onmouseover="alert(1)|x>',
        "`</code><script>alert(1)</script>`",
    ],
)
def test_nothing_in_a_text_becomes_markup(attack: str) -> None:
    rendered = mrkdwn_html(attack)

    assert "<script" not in rendered
    assert "javascript:" not in rendered or "href" not in rendered
    assert '"onmouseover' not in rendered


def test_elements_render_with_their_style() -> None:
    actions = {
        "type": "actions",
        "elements": [
            {
                "type": "button",
                "text": {"type": "plain_text", "text": "Helpful"},
                "style": "primary",
            },
            {"type": "button", "text": {"type": "plain_text", "text": "Stop"}, "style": "danger"},
            {"type": "overflow", "options": []},
            {
                "type": "static_select",
                "placeholder": {"type": "plain_text", "text": "Pick a tool"},
                "options": [],
            },
        ],
    }

    html = render_block(actions, {})

    assert '<span class="button primary">Helpful</span>' in html
    assert '<span class="button danger">Stop</span>' in html
    assert 'class="button overflow"' in html
    assert "Pick a tool &#9662;" in html


def test_fields_accessories_images_and_unknown_blocks() -> None:
    section = {
        "type": "section",
        "text": {"type": "mrkdwn", "text": "*Copilot*"},
        "fields": [{"type": "mrkdwn", "text": "a"}, {"type": "mrkdwn", "text": "b"}],
        "accessory": {"type": "button", "text": {"type": "plain_text", "text": "Details"}},
    }
    image = {"type": "image", "slack_file": {"id": "F0CHART"}, "alt_text": 'a "chart"'}

    assert 'class="fields"' in render_block(section, {})
    assert '<span class="button">Details</span>' in render_block(section, {})
    assert '<img class="" src="chart.png" alt="a &quot;chart&quot;">' in render_block(
        image, {"F0CHART": "chart.png"}
    )
    assert "[image: a &quot;chart&quot;]" in render_block(image, {})
    assert 'class="unknown">[video block]' in render_block({"type": "video"}, {})


@pytest.mark.parametrize(("width", "kind"), [(390, "message"), (1024, "home")])
def test_a_page_is_as_wide_as_asked(width: int, kind: str) -> None:
    page = render_page(
        [{"type": "header", "text": {"type": "plain_text", "text": "Hi <there>"}}],
        frame=Frame("/myusage", kind=kind, ephemeral=True),
        width=width,
    )

    assert f"body {{ width: {width}px; }}" in page
    assert "Hi &lt;there&gt;" in page
    assert ("Only visible to you" in page) is (kind == "message")


def test_the_emoji_uptake_uses_are_drawn_and_others_stay_as_text() -> None:
    shown = mrkdwn_html(":point_right: *Do this* :partyparrot: `:warning:`")
    assert shown.startswith("\U0001f449 <b>Do this</b> :partyparrot:")
    assert "<code>:warning:</code>" in shown  # code is shown as typed
