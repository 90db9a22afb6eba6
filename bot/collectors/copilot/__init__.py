"""GitHub Copilot: per-user daily usage and outcome signals from the usage-metrics reports,
the organisation's own figures, Copilot seats and GitHub teams.

`collector.py` talks to GitHub (`github.py`: its rate limits and URLs); `usage.py` reads
report rows into Uptake's columns; `fields.py` reads GitHub's JSON with type checks.
"""

from bot.collectors.copilot.collector import REPORTS_START, CopilotCollector

__all__ = ["REPORTS_START", "CopilotCollector"]
