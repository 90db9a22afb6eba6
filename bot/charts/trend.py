"""The trend chart: a team's weekly active share over up to 12 weeks, as a PNG.

The chart is drawn for a phone screen: a fixed 1200×600 px image on a solid white background
(it reads the same in Slack's light and dark themes), large type, one line with markers, the
y-axis fixed at 0–100 %, week labels flat and centred under their points, and the latest
value centred over its point. A week whose figure is hidden (for privacy, or for lack
of data) is a gap in the line over a shaded band, with a note saying so. The function only
ever receives week labels and shares, so no name can reach the image.

matplotlib is imported on the first call, not with this module (importing it takes about half
a second), and is driven through `Figure` and the Agg canvas directly: no pyplot, no global
backend, no change to `rcParams`. Rendering is serialised by a lock, since matplotlib makes no
thread-safety promise.
"""

from __future__ import annotations

import functools
import io
import math
import threading
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure
    from matplotlib.font_manager import FontProperties
    from matplotlib.text import Text

WIDTH_PX = 1200
HEIGHT_PX = 600
DPI = 150
MAX_POINTS = 12
MAX_TITLE_CHARS = 60
MAX_LABEL_CHARS = 8

NO_DATA_TEXT = "No data yet"
ALL_HIDDEN_TEXT = "All weeks hidden for privacy"
GAPS_NOTE = "gaps: hidden for privacy"

_ELLIPSIS = "…"
_LINE_COLOUR = "#1f6feb"
_TEXT_COLOUR = "#1f2328"
_MUTED_COLOUR = "#57606a"
_GRID_COLOUR = "#d0d7de"
_HIDDEN_BAND_COLOUR = "#eaeef2"

# Figure-relative layout, tuned by eye at WIDTH_PX × HEIGHT_PX. The bottom margin grows when
# the week labels have to be turned to fit.
_LEFT, _RIGHT, _TOP = 0.11, 0.965, 0.80
_BOTTOM_FLAT = 0.13
_TITLE_X, _TITLE_Y = 0.02, 0.955
_TITLE_SIZE = 20.0
_MIN_TITLE_SIZE = 12.0
_TICK_SIZE = 14.0
_NOTE_SIZE = 13.0
_VALUE_SIZE = 15.0
_MESSAGE_SIZE = 20.0
# Week labels are thinned out when the widest would fill more than this share of its slot.
_FLAT_LABEL_FILL = 0.85

_render_lock = threading.Lock()


@dataclass(frozen=True, slots=True)
class TrendPoint:
    """One week of the trend: its axis label and the team's active share, 0.0–1.0.

    `active_share` is None when the week's figure is hidden for privacy or there is no data;
    the week is then drawn as a gap.
    """

    label: str
    active_share: float | None


def trend_chart_png(points: Sequence[TrendPoint], *, title: str) -> bytes:
    """Render the weekly active-share trend as a WIDTH_PX × HEIGHT_PX PNG.

    `points` are the weeks in order, oldest first, at most MAX_POINTS of them; each share is a
    fraction in [0, 1] (drawn as 0–100 %) or None for a hidden week. No points draws a chart
    saying "No data yet". The title is clipped to MAX_TITLE_CHARS and shrunk to fit the width.
    Raises ValueError for more than MAX_POINTS points or a share outside [0, 1].
    """
    weeks = tuple(points)
    if len(weeks) > MAX_POINTS:
        raise ValueError(f"at most {MAX_POINTS} points, got {len(weeks)}")
    for week in weeks:
        share = week.active_share
        if share is not None and not (math.isfinite(share) and 0.0 <= share <= 1.0):
            raise ValueError(f"active_share must be in [0, 1] or None, got {share!r}")

    # matplotlib is imported on first use, not at the top: importing it takes about half a second.
    from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: PLC0415
    from matplotlib.figure import Figure  # noqa: PLC0415

    regular, bold = _fonts()
    with _render_lock:
        figure = Figure(figsize=(WIDTH_PX / DPI, HEIGHT_PX / DPI), dpi=DPI, facecolor="white")
        figure.set_layout_engine("none")  # fixed margins, whatever rcParams say
        canvas = FigureCanvasAgg(figure)
        axes = figure.add_axes((_LEFT, _BOTTOM_FLAT, _RIGHT - _LEFT, _TOP - _BOTTOM_FLAT))
        _draw_axes(axes, weeks, regular, bold)
        _draw_title(figure, _clip(title, MAX_TITLE_CHARS), bold)
        if any(week.active_share is None for week in weeks) and any(
            week.active_share is not None for week in weeks
        ):
            figure.text(
                _RIGHT,
                _TOP + 0.025,
                GAPS_NOTE,
                ha="right",
                va="bottom",
                color=_MUTED_COLOUR,
                fontproperties=regular,
                fontsize=_NOTE_SIZE,
                parse_math=False,
            )
        out = io.BytesIO()
        # print_png renders at the figure's own dpi and size, whatever savefig's rcParams say;
        # backend_agg has no type hints. No "Software" chunk keeps the bytes stable.
        canvas.print_png(out, metadata={"Software": None})  # type: ignore[no-untyped-call]
    return out.getvalue()


def _draw_axes(
    axes: Axes,
    weeks: tuple[TrendPoint, ...],
    regular: FontProperties,
    bold: FontProperties,
) -> None:
    """The line, the hidden-week bands, the axes and the last visible value."""
    axes.set_ylim(0, 100)
    axes.set_xlim(-0.5, max(len(weeks), 1) - 0.5)
    axes.set_yticks([0, 25, 50, 75, 100])
    axes.set_yticklabels(
        [f"{tick} %" for tick in (0, 25, 50, 75, 100)],
        fontproperties=regular,
        fontsize=_TICK_SIZE,
        color=_MUTED_COLOUR,
        parse_math=False,
    )
    axes.grid(axis="y", color=_GRID_COLOUR, linewidth=1.0)
    axes.set_axisbelow(True)
    axes.tick_params(axis="both", length=0, pad=8)
    for side in ("top", "right", "left"):
        axes.spines[side].set_visible(False)
    axes.spines["bottom"].set_color(_GRID_COLOUR)

    if not weeks:
        axes.set_xticks([])
        _centre_message(axes, NO_DATA_TEXT, regular)
        return

    positions = list(range(len(weeks)))
    axes.set_xticks(positions)
    tick_labels = axes.set_xticklabels(
        [_clip(week.label, MAX_LABEL_CHARS) for week in weeks],
        fontproperties=regular,
        fontsize=_TICK_SIZE,
        color=_MUTED_COLOUR,
        parse_math=False,
    )
    _thin_labels(tick_labels, slot=(_RIGHT - _LEFT) * WIDTH_PX / len(weeks))

    values = [math.nan if week.active_share is None else week.active_share * 100 for week in weeks]
    for position, value in zip(positions, values, strict=True):
        if math.isnan(value):
            axes.axvspan(position - 0.5, position + 0.5, color=_HIDDEN_BAND_COLOUR, linewidth=0)
    visible = [(position, value) for position, value in enumerate(values) if not math.isnan(value)]
    if not visible:
        _centre_message(axes, ALL_HIDDEN_TEXT, regular)
        return

    axes.plot(
        positions,
        values,
        color=_LINE_COLOUR,
        linewidth=3.5,
        marker="o",
        markersize=9,
        markerfacecolor=_LINE_COLOUR,
        markeredgecolor="white",
        markeredgewidth=1.5,
        clip_on=False,
        zorder=3,
    )
    last_position, last_value = visible[-1]
    above = last_value <= 80
    # Centred on its point: the axis keeps half a week's slot free at each end, so the value
    # stays inside the image and reads as the point's, never its neighbour's.
    axes.annotate(
        f"{last_value:.0f} %",
        (last_position, last_value),
        xytext=(0, 14 if above else -16),
        textcoords="offset points",
        ha="center",
        va="bottom" if above else "top",
        color=_TEXT_COLOUR,
        fontproperties=bold,
        fontsize=_VALUE_SIZE,
        annotation_clip=False,
        parse_math=False,
        zorder=4,
    )


def _thin_labels(labels: Sequence[Text], *, slot: float) -> None:
    """Keep the week labels flat, each centred under its own point: when they are too wide for
    their slots, only every second (third, …) one is shown, counting back from the latest."""
    widest = max(label.get_window_extent().width for label in labels)
    step = max(1, math.ceil(widest / (_FLAT_LABEL_FILL * slot)))
    last = len(labels) - 1
    for index, label in enumerate(labels):
        label.set_visible((last - index) % step == 0)


def _centre_message(axes: Axes, message: str, regular: FontProperties) -> None:
    axes.text(
        0.5,
        0.5,
        message,
        transform=axes.transAxes,
        ha="center",
        va="center",
        color=_MUTED_COLOUR,
        fontproperties=regular,
        fontsize=_MESSAGE_SIZE,
        parse_math=False,
    )


def _draw_title(figure: Figure, title: str, bold: FontProperties) -> None:
    """The title at the top left, shrunk until it fits the width, then cut if it still won't."""
    text = figure.text(
        _TITLE_X,
        _TITLE_Y,
        title,
        ha="left",
        va="top",
        color=_TEXT_COLOUR,
        fontproperties=bold,
        fontsize=_TITLE_SIZE,
        parse_math=False,
    )
    available = (_RIGHT - _TITLE_X) * WIDTH_PX
    size = _TITLE_SIZE
    while size > _MIN_TITLE_SIZE and text.get_window_extent().width > available:
        size -= 1.0
        text.set_fontsize(size)
    kept = len(title)
    while kept > 1 and text.get_window_extent().width > available:
        kept -= 1
        text.set_text(title[:kept].rstrip() + _ELLIPSIS)


def _clip(text: str, limit: int) -> str:
    """One line of drawable characters, at most `limit` long, with an ellipsis if cut."""
    drawable = _drawable_codepoints()
    kept = (
        " " if character.isspace() else character
        for character in text
        if character.isspace()
        or (unicodedata.category(character)[0] != "C" and ord(character) in drawable)
    )
    line = " ".join("".join(kept).split())
    if len(line) <= limit:
        return line
    return line[: limit - 1].rstrip() + _ELLIPSIS


@functools.cache
def _fonts() -> tuple[FontProperties, FontProperties]:
    """DejaVu Sans, regular and bold, from matplotlib's own data: no system font lookup."""
    from matplotlib import get_data_path  # noqa: PLC0415
    from matplotlib.font_manager import FontProperties  # noqa: PLC0415

    folder = Path(get_data_path()) / "fonts" / "ttf"
    return (
        FontProperties(fname=folder / "DejaVuSans.ttf"),
        FontProperties(fname=folder / "DejaVuSans-Bold.ttf"),
    )


@functools.cache
def _drawable_codepoints() -> frozenset[int]:
    """Characters both fonts have a glyph for; others would draw as boxes and warn."""
    from matplotlib.ft2font import FT2Font  # noqa: PLC0415

    regular, bold = _fonts()
    maps = [set(FT2Font(str(font.get_file())).get_charmap()) for font in (regular, bold)]
    return frozenset(maps[0] & maps[1])
