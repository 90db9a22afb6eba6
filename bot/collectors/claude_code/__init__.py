"""Claude Code: per-person daily usage and outcomes from Anthropic's Claude Code Analytics API.

`collector.py` pages through one day of the report; `report.py` reads its rows.
"""

from bot.collectors.claude_code.collector import REPORT_PATH, ClaudeCodeCollector

__all__ = ["REPORT_PATH", "ClaudeCodeCollector"]
