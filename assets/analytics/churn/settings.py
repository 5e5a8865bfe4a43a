"""The churn topic's settings: the ``[churn]`` section of pipelines/settings.toml."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from assets.common.settings import section_values, shipped_defaults


@dataclass(frozen=True)
@shipped_defaults("churn")
class ChurnSettings:
    """The ``[churn]`` section of the settings file (see pipelines/settings.toml)."""

    horizon_days: int
    trend_days: int
    population_days: int
    selection_metric: str
    risk_high: float
    risk_medium: float
    min_training_customers: int
    min_churners: int
    max_training_rows: int
    training_cutoffs: int
    min_history_days: int
    min_label_horizon_days: int
    reason_min_contribution: float
    interaction_drop_share: float
    interaction_drop_min_previous: int
    spend_drop_share: float
    complaint_spike_min: int
    seed: int

    @classmethod
    def from_thresholds(cls, thresholds: dict[str, Any]) -> ChurnSettings:
        settings = cls(**section_values(cls, thresholds.get("churn", {})))
        settings.validate()
        return settings

    def validate(self) -> None:
        from assets.analytics.churn.metrics import METRIC_DIRECTIONS

        if min(self.horizon_days, self.trend_days, self.population_days, self.training_cutoffs,
               self.min_label_horizon_days, self.max_training_rows) < 1 or self.min_history_days < 0:
            raise ValueError("churn.horizon_days, trend_days, population_days, training_cutoffs, "
                             "min_label_horizon_days and max_training_rows must be ≥ 1, min_history_days ≥ 0")
        if not 0 < self.risk_medium <= self.risk_high <= 1:
            raise ValueError(f"churn risk cut-offs must satisfy 0 < risk_medium ({self.risk_medium}) ≤ "
                             f"risk_high ({self.risk_high}) ≤ 1")
        if self.selection_metric not in METRIC_DIRECTIONS:
            raise ValueError(f"churn.selection_metric must be one of {sorted(METRIC_DIRECTIONS)}, "
                             f"got {self.selection_metric!r}")
