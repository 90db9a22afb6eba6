"""The tip writer the settings ask for: an OpenAI-compatible model, or the library text."""

from __future__ import annotations

from bot.settings import Settings
from bot.tips.llm import TipWriter, tip_writer


def tip_writer_for(settings: Settings) -> TipWriter:
    """Rewording through OPENAI_BASE_URL when OPENAI_API_KEY is set; else nothing is called."""
    key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else None
    return tip_writer(
        key, settings.openai_base_url, settings.openai_model, settings.openai_timeout_seconds
    )
