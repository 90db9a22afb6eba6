"""A chart carried as data: the dozen points of a trend, drawn only when its message is sent.

The weekly job queues each digest with its chart's spec (small JSON in the outbox row) instead
of a drawn PNG, and the outbox's sender draws it just before uploading it: the job stays quick
however many teams there are, and Slack's rate limits spread the drawing out anyway.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from bot.charts.alt_text import chart_alt_text
from bot.charts.trend import MAX_POINTS, TrendPoint, trend_chart_png

TREND = "trend"


def trend_spec(points: Sequence[TrendPoint], *, title: str, filename: str) -> dict[str, Any]:
    """The spec of a trend chart: JSON-ready, with its alt text worked out now."""
    return {
        "type": TREND,
        "title": title,
        "filename": filename,
        "points": [[point.label, point.active_share] for point in points],
        "alt_text": chart_alt_text(points, title=title),
    }


def spec_points(spec: Mapping[str, Any]) -> list[TrendPoint]:
    """The points of a trend spec; ValueError for anything that is not one."""
    if spec.get("type") != TREND:
        raise ValueError(f"not a chart spec this version can draw: {spec.get('type')!r}")
    raw = spec.get("points")
    if not isinstance(raw, list) or len(raw) > MAX_POINTS:
        raise ValueError("a trend spec holds a list of at most 12 points")
    points = []
    for item in raw:
        label, share = item
        if share is not None and not (isinstance(share, int | float) and math.isfinite(share)):
            raise ValueError(f"a point's share must be a number or null, got {share!r}")
        points.append(TrendPoint(str(label), None if share is None else float(share)))
    return points


def draw_spec(spec: Mapping[str, Any]) -> bytes:
    """The PNG of a spec."""
    return trend_chart_png(spec_points(spec), title=str(spec.get("title", "")))


def spec_alt_text(spec: Mapping[str, Any]) -> str:
    """The alt text stored with a spec, or worked out from its points."""
    stored = spec.get("alt_text")
    if isinstance(stored, str) and stored.strip():
        return stored
    return chart_alt_text(spec_points(spec), title=str(spec.get("title", "")))
