"""What every handler and job is given: settings, the database and the clock."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy.engine import Engine

from bot.adoption import TierThresholds
from bot.digests.narrative import NarrativeWriter, TemplateNarrative
from bot.personal.chart_lane import PersonalCharts
from bot.settings import Settings
from bot.tips.llm import LibraryText, TipWriter
from storage.models import utcnow


@dataclass(frozen=True)
class Services:
    """The explicit dependencies of Uptake's product code."""

    settings: Settings
    engine: Engine
    llm: Any | None = None
    clock: Callable[[], dt.datetime] = field(default=utcnow)
    narrator: NarrativeWriter | None = None
    #: People's own trend charts: drawn after their answer, and remembered per process.
    charts: PersonalCharts = field(default_factory=PersonalCharts)

    @property
    def tip_writer(self) -> TipWriter:
        """Rewords tips through the configured LLM, or returns the library text."""
        if self.llm is not None:
            return cast(TipWriter, self.llm)
        return LibraryText()

    @property
    def narrative_writer(self) -> NarrativeWriter:
        """Writes the digest's narrative through the configured LLM, or from a template."""
        return self.narrator if self.narrator is not None else TemplateNarrative()

    @property
    def thresholds(self) -> TierThresholds:
        """Tier thresholds from settings."""
        return TierThresholds(
            light_max=self.settings.tier_light_max_days,
            regular_max=self.settings.tier_regular_max_days,
        )
