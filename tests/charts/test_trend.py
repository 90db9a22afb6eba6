"""The digest trend chart: a PNG of the exact size, for every shape of input, without warnings."""

from __future__ import annotations

import io
import struct
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from bot.charts import chart_alt_text
from bot.charts.trend import (
    HEIGHT_PX,
    MAX_POINTS,
    MAX_TITLE_CHARS,
    WIDTH_PX,
    TrendPoint,
    trend_chart_png,
)

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
LINE_RGB = (0x1F, 0x6F, 0xEB)
TEXT_RGB = (0x1F, 0x23, 0x28)
MUTED_RGB = (0x57, 0x60, 0x6A)

SHARES = [0.31, 0.35, 0.40, 0.42, 0.48, 0.47, 0.50, 0.52, 0.55, 0.61, 0.58, 0.66]
TWELVE_WEEKS = [TrendPoint(f"W{37 + i}", share) for i, share in enumerate(SHARES)]
WITH_HIDDEN = [
    TrendPoint(point.label, None if i in {2, 6, 7} else point.active_share)
    for i, point in enumerate(TWELVE_WEEKS)
]
DATE_LABELS = ["8 Sep", "15 Sep", "22 Sep", "29 Sep", "6 Oct", "13 Oct"]
DATE_LABELS += ["20 Oct", "27 Oct", "3 Nov", "10 Nov", "17 Nov", "24 Nov"]


@pytest.fixture(autouse=True, scope="module")
def _matplotlib_config_in_tmp(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """matplotlib writes its font cache on first import: keep it out of the user's home."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MPLCONFIGDIR", str(tmp_path_factory.mktemp("matplotlib")))
        yield


def png_size(png: bytes) -> tuple[int, int]:
    """Width and height from the IHDR chunk, which must come first after the signature."""
    assert png[:8] == PNG_SIGNATURE
    length, chunk_type = struct.unpack(">I4s", png[8:16])
    assert chunk_type == b"IHDR"
    assert length == 13
    width, height = struct.unpack(">II", png[16:24])
    return width, height


def assert_chart(png: bytes) -> None:
    assert png.startswith(PNG_SIGNATURE)
    assert png_size(png) == (WIDTH_PX, HEIGHT_PX)
    assert png.endswith(b"IEND\xaeB`\x82")


def line_pixels(png: bytes) -> int:
    """How many pixels are the line's colour."""
    from PIL import Image

    with Image.open(io.BytesIO(png)) as image:
        rgb = image.convert("RGB")
        return sum(
            count
            for count, colour in rgb.getcolors(WIDTH_PX * HEIGHT_PX) or []
            if colour == LINE_RGB
        )


def test_size_is_a_phone_friendly_landscape() -> None:
    assert (WIDTH_PX, HEIGHT_PX) == (1200, 600)


def test_twelve_weeks_render_a_png_of_the_stated_size() -> None:
    png = trend_chart_png(TWELVE_WEEKS, title="Platform")

    assert_chart(png)
    assert line_pixels(png) > 1000


def test_hidden_weeks_render_as_gaps() -> None:
    png = trend_chart_png(WITH_HIDDEN, title="Platform")

    assert_chart(png)
    assert png != trend_chart_png(TWELVE_WEEKS, title="Platform")
    assert 0 < line_pixels(png) < line_pixels(trend_chart_png(TWELVE_WEEKS, title="Platform"))


def test_no_points_render_a_no_data_chart_without_a_line() -> None:
    png = trend_chart_png([], title="Mobile")

    assert_chart(png)
    assert line_pixels(png) == 0


def test_all_weeks_hidden_render_without_a_line() -> None:
    png = trend_chart_png([TrendPoint("W1", None), TrendPoint("W2", None)], title="Tiny team")

    assert_chart(png)
    assert line_pixels(png) == 0


@pytest.mark.parametrize("count", range(MAX_POINTS + 1))
def test_every_count_from_zero_to_twelve_renders(count: int) -> None:
    assert_chart(trend_chart_png(TWELVE_WEEKS[:count], title="Team"))


def test_long_date_labels_and_extreme_shares_render() -> None:
    shares = [0.0, 1.0, 0.0, 1.0, 0.5, None, 1.0, 0.99, 0.01, None, 1.0, 0.0]
    points = [TrendPoint(label, share) for label, share in zip(DATE_LABELS, shares, strict=True)]

    assert_chart(trend_chart_png(points, title="Payments"))


def test_the_same_input_gives_the_same_png() -> None:
    first = trend_chart_png(WITH_HIDDEN, title="Platform")
    second = trend_chart_png(WITH_HIDDEN, title="Platform")

    assert len(first) == len(second)
    assert first == second


def test_a_different_value_gives_a_different_png() -> None:
    changed = [*TWELVE_WEEKS[:-1], TrendPoint("W48", 0.2)]

    assert trend_chart_png(changed, title="Platform") != trend_chart_png(
        TWELVE_WEEKS, title="Platform"
    )


def test_a_long_title_is_clipped() -> None:
    head = "A team with a name far longer than any sane team name should be "
    assert len(head) > MAX_TITLE_CHARS

    one = trend_chart_png(TWELVE_WEEKS, title=head + "and then some more")
    other = trend_chart_png(TWELVE_WEEKS, title=head + "x" * 500)

    assert_chart(one)
    assert one == other


def test_a_wide_title_is_shrunk_to_fit_the_width() -> None:
    from PIL import Image

    png = trend_chart_png(TWELVE_WEEKS, title="W" * MAX_TITLE_CHARS)

    with Image.open(io.BytesIO(png)) as image:
        band = image.convert("L").crop((0, 0, WIDTH_PX, HEIGHT_PX // 8)).tobytes()
    inked = [x for x in range(WIDTH_PX) if min(band[x::WIDTH_PX]) < 128]
    assert inked, "the title is drawn"
    assert max(inked) < WIDTH_PX - 20


@pytest.mark.parametrize(
    "title",
    [
        "Price $x$ and $unbalanced",
        "Broken maths $a^$ here",
        "Rocket 🚀 team 中文 \u200b\x00",
        "Two\nlines\tand   spaces",
        "",
        "   ",
        "_^{}\\mathrm{x}",
    ],
)
def test_awkward_titles_render_without_warnings(title: str) -> None:
    # filterwarnings=error: a missing glyph or a mathtext parse would fail here.
    assert_chart(trend_chart_png(TWELVE_WEEKS, title=title))


def test_characters_the_font_cannot_draw_are_dropped() -> None:
    assert trend_chart_png(TWELVE_WEEKS, title="Rocket 🚀 team") == trend_chart_png(
        TWELVE_WEEKS, title="Rocket team"
    )


def test_awkward_labels_render() -> None:
    labels = ["$^$", "🚀", "", "a very long week label", "W\n5", "$", "^", "W8", "W9", "W10"]
    points = [TrendPoint(label, 0.5) for label in labels]

    assert_chart(trend_chart_png(points, title="Team"))


def test_more_than_twelve_points_are_refused() -> None:
    with pytest.raises(ValueError, match="at most 12"):
        trend_chart_png([*TWELVE_WEEKS, TrendPoint("W49", 0.5)], title="Team")


@pytest.mark.parametrize("share", [-0.01, 1.01, 62.0, float("nan"), float("inf")])
def test_shares_outside_zero_to_one_are_refused(share: float) -> None:
    with pytest.raises(ValueError, match="active_share"):
        trend_chart_png([TrendPoint("W1", share)], title="Team")


def test_concurrent_renders_agree() -> None:
    expected = trend_chart_png(WITH_HIDDEN, title="Platform")

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda _: trend_chart_png(WITH_HIDDEN, title="Platform"), range(8)))

    assert all(result == expected for result in results)


def test_importing_the_module_does_not_import_matplotlib() -> None:
    code = "import sys, bot.charts; sys.exit('matplotlib' in sys.modules)"
    root = Path(__file__).resolve().parents[2]

    result = subprocess.run(
        [sys.executable, "-c", code], cwd=root, check=False, capture_output=True
    )

    assert result.returncode == 0, result.stderr.decode()


def test_alt_text_states_every_figure_in_order_and_the_hidden_weeks() -> None:
    text = chart_alt_text(WITH_HIDDEN, title="Platform: weekly active share")

    assert text.startswith("Platform: weekly active share, last 12 weeks: W37 31 %, W38 35 %,")
    assert "W39 hidden" in text
    assert text.endswith("W48 66 %; 3 weeks hidden for privacy.")
    assert [part.split()[0] for part in text.split("weeks: ", 1)[1].split(", ")] == [
        point.label for point in WITH_HIDDEN
    ]


def test_alt_text_for_no_data_and_for_all_hidden() -> None:
    assert chart_alt_text([], title="Mobile") == "Mobile: no data yet."
    assert chart_alt_text([TrendPoint("W1", None)], title="Tiny\n") == (
        "Tiny, last week: all hidden for privacy."
    )


def _columns(png: bytes, rgb: tuple[int, int, int], top: int, bottom: int) -> list[int]:
    """The x of every pixel of colour `rgb` between rows `top` and `bottom`."""
    from PIL import Image

    with Image.open(io.BytesIO(png)) as image:
        pixels = image.convert("RGB").load()
        assert pixels is not None
        return [x for y in range(top, bottom) for x in range(WIDTH_PX) if pixels[x, y] == rgb]


@pytest.mark.parametrize("last_share", [0.66, 0.95])
def test_the_latest_value_is_centred_over_its_own_point(last_share: float) -> None:
    points = [*TWELVE_WEEKS[:-1], TrendPoint("W48", last_share)]
    png = trend_chart_png(points, title="Platform")

    line = _columns(png, LINE_RGB, HEIGHT_PX // 6, HEIGHT_PX)
    marker_centre = max(line) - 9  # the last marker is the rightmost of the line's colour
    text = _columns(png, TEXT_RGB, HEIGHT_PX // 6, HEIGHT_PX)  # below the title
    assert text, "the value is drawn"
    assert abs(sum(text) / len(text) - marker_centre) < 8


def test_week_labels_are_flat_and_the_latest_is_always_shown() -> None:
    png = trend_chart_png([TrendPoint(label, 0.5) for label in DATE_LABELS], title="Payments")
    flat = trend_chart_png([TrendPoint(f"W{n}", 0.5) for n in range(12)], title="Payments")

    # Labels sit in one band under the axis: nothing drawn in the band below it.
    for chart in (png, flat):
        assert _columns(chart, MUTED_RGB, HEIGHT_PX - 30, HEIGHT_PX) == []
    latest = _columns(png, MUTED_RGB, HEIGHT_PX - 75, HEIGHT_PX - 30)
    assert max(latest) > WIDTH_PX - 100  # the last week's label, under the last point
