"""The scorecard's settings: the timeliness part of the ``[quality]`` section of settings.toml."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from assets.common.settings import shipped

TIMELINESS_FULL_SCORE_DAYS = int(shipped("quality", "timeliness_full_score_days"))
"""Default of settings.toml [quality] timeliness_full_score_days: newest record at most this many days
older than the as-of date scores timeliness 1."""
TIMELINESS_ZERO_SCORE_DAYS = int(shipped("quality", "timeliness_zero_score_days"))
"""Default of settings.toml [quality] timeliness_zero_score_days: newest record this many days (or
more) older than the as-of date scores 0; linear in between."""


@dataclass(frozen=True)
class ScorecardSettings:
    """The scorecard's keys of the ``[quality]`` section of settings.toml."""

    timeliness_full_score_days: int = TIMELINESS_FULL_SCORE_DAYS
    timeliness_zero_score_days: int = TIMELINESS_ZERO_SCORE_DAYS

    @classmethod
    def from_thresholds(cls, section: Mapping[str, Any]) -> ScorecardSettings:
        """Read ``settings.rules()["quality"]``."""
        return cls(
            timeliness_full_score_days=int(section.get("timeliness_full_score_days", cls.timeliness_full_score_days)),
            timeliness_zero_score_days=int(section.get("timeliness_zero_score_days", cls.timeliness_zero_score_days)),
        )
