"""What every handler and job is given: settings, the database and the clock."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.engine import Engine

from bot.adoption import TierThresholds
from bot.settings import Settings
from storage.models import utcnow


@dataclass(frozen=True)
class Services:
    """The explicit dependencies of Uptake's product code."""

    settings: Settings
    engine: Engine
    llm: Any | None = None
    clock: Callable[[], dt.datetime] = field(default=utcnow)

    @property
    def thresholds(self) -> TierThresholds:
        """Tier thresholds from settings."""
        return TierThresholds(
            light_max=self.settings.tier_light_max_days,
            regular_max=self.settings.tier_regular_max_days,
        )
