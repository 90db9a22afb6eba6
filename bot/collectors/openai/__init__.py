"""OpenAI: per-person daily API usage, Codex on the API included, through the `openai` SDK.

`collector.py` calls the Admin API; `usage.py` reads its buckets; `transport.py` caps response
bodies and times retries.
"""

from bot.collectors.openai.collector import OpenAICollector

__all__ = ["OpenAICollector"]
