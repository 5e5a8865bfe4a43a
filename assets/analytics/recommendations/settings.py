"""The ``[recommendations]`` settings of the product recommendations, with the backtest horizon
``[churn] horizon_days``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from assets.common.settings import section_values, shipped, shipped_defaults


@dataclass(frozen=True)
@shipped_defaults("recommendations")
class RecommendationSettings:
    """The ``[recommendations]`` section of settings.toml, plus the backtest horizon
    ``[churn] horizon_days``."""

    top_n: int
    exclude_recent_days: int
    history_days: int
    neighbours_per_item: int
    min_co_customers: int
    popularity_days: int
    horizon_days: int = int(shipped("churn", "horizon_days"))

    @classmethod
    def from_thresholds(cls, thresholds: Mapping[str, Any]) -> RecommendationSettings:
        """Read ``settings.rules()``; every key has a default, so a missing section is fine."""
        section = thresholds.get("recommendations") or {}
        churn = thresholds.get("churn") or {}
        values = section_values(cls, section, exclude=("horizon_days",))
        settings = cls(**values, horizon_days=int(churn.get("horizon_days", cls.horizon_days)))
        settings.validate()
        return settings

    def validate(self) -> None:
        """Fail with a clear message on settings that cannot work."""
        problems = []
        for name in ("top_n", "history_days", "neighbours_per_item", "min_co_customers", "popularity_days"):
            if getattr(self, name) < 1:
                problems.append(f"recommendations.{name} must be at least 1, got {getattr(self, name)}")
        if not 0 <= self.exclude_recent_days <= self.history_days:
            problems.append("recommendations.exclude_recent_days must be between 0 and history_days "
                            f"({self.history_days}), got {self.exclude_recent_days}")
        if self.popularity_days > self.history_days:
            problems.append(f"recommendations.popularity_days ({self.popularity_days}) must not exceed "
                            f"history_days ({self.history_days})")
        if self.horizon_days < 1:
            problems.append(f"churn.horizon_days must be at least 1, got {self.horizon_days}")
        if problems:
            raise ValueError("invalid [recommendations] settings: " + "; ".join(problems))

    @property
    def hit_rate_metric(self) -> str:
        """The hit-rate metric's name, after top_n: hit_rate_at_3."""
        return f"hit_rate_at_{self.top_n}"
