"""Cursor: per-person daily usage, outcomes and team members from the Admin API, and (where
the team has it) the AI code tracking report of AI lines against other lines per commit.

`collector.py` reads the daily usage and members; `ai_code.py` reads the commits report.
"""

from bot.collectors.cursor.collector import CursorCollector

__all__ = ["CursorCollector"]
