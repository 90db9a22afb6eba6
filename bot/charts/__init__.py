"""Charts drawn for Slack messages: the weekly active-share trend and its alt text.

Importing this package does not import matplotlib; the first chart drawn does.
"""

from bot.charts.alt_text import chart_alt_text
from bot.charts.trend import TrendPoint, trend_chart_png

__all__ = ["TrendPoint", "chart_alt_text", "trend_chart_png"]
