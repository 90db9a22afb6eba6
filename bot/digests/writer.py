"""The narrative writer the settings ask for: an OpenAI-compatible model, or the template."""

from __future__ import annotations

from bot.digests.narrative import NarrativeWriter, narrative_writer
from bot.settings import Settings


def narrative_writer_for(settings: Settings) -> NarrativeWriter:
    """Narratives through OPENAI_BASE_URL when OPENAI_API_KEY is set; else the template."""
    key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else None
    return narrative_writer(
        key, settings.openai_base_url, settings.openai_model, settings.openai_timeout_seconds
    )
