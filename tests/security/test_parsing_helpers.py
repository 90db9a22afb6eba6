"""The helpers every listener reads input and echoes it with."""

from __future__ import annotations

import pytest

from bot.blocks.common import code, escape
from bot.parsing import ascii_int, row_id


@pytest.mark.parametrize("word", ["²", "٣", "1_0", " 1", "+1", "-1", "1.0", "", "1" * 50, "x"])
def test_only_ascii_digits_are_numbers(word: str) -> None:
    assert ascii_int(word, low=0, high=10**9) is None
    assert row_id(word) is None


def test_numbers_are_bounded() -> None:
    assert ascii_int("23", low=0, high=23) == 23
    assert ascii_int("24", low=0, high=23) is None
    assert row_id("2147483647") == 2147483647
    assert row_id("2147483648") is None
    assert row_id("0") is None


def test_code_spans_cannot_be_broken_open() -> None:
    shown = code("x` <!here> *bold* <@U0EVE|eve>\n`")
    assert shown.count("`") == 2 and shown.startswith("`") and shown.endswith("`")
    assert "<" not in shown and ">" not in shown
    assert escape("a & b &lt;!here&gt; <!channel>") == "a &amp; b &lt;!here&gt; &lt;!channel&gt;"
