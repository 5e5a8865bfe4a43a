"""The churn topic's settings: the ``[churn]`` section of pipelines/settings.toml."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from assets.common.settings import shipped


@dataclass(frozen=True)
class ChurnSettings:
    """The ``[churn]`` section of the settings file (see pipelines/settings.toml)."""

    horizon_days: int = int(shipped("churn", "horizon_days"))
    trend_days: int = int(shipped("churn", "trend_days"))
    population_days: int = int(shipped("churn", "population_days"))
    selection_metric: str = str(shipped("churn", "selection_metric"))
    risk_high: float = float(shipped("churn", "risk_high"))
    risk_medium: float = float(shipped("churn", "risk_medium"))
    min_training_customers: int = int(shipped("churn", "min_training_customers"))
    min_churners: int = int(shipped("churn", "min_churners"))
    max_training_rows: int = int(shipped("churn", "max_training_rows"))
    training_cutoffs: int = int(shipped("churn", "training_cutoffs"))
    min_history_days: int = int(shipped("churn", "min_history_days"))
    min_label_horizon_days: int = int(shipped("churn", "min_label_horizon_days"))
    reason_min_contribution: float = float(shipped("churn", "reason_min_contribution"))
    interaction_drop_share: float = float(shipped("churn", "interaction_drop_share"))
    interaction_drop_min_previous: int = int(shipped("churn", "interaction_drop_min_previous"))
    spend_drop_share: float = float(shipped("churn", "spend_drop_share"))
    complaint_spike_min: int = int(shipped("churn", "complaint_spike_min"))
    seed: int = int(shipped("churn", "seed"))

    @classmethod
    def from_thresholds(cls, thresholds: dict[str, Any]) -> ChurnSettings:
        section = thresholds.get("churn", {})
        defaults = cls()
        values = {}
        for name, default in defaults.__dict__.items():
            raw = section.get(name, default)
            values[name] = type(default)(raw)
        settings = cls(**values)
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
