"""The ``[lifecycle]`` settings: the thresholds of the stage rules (see
``assets.analytics.lifecycle.logic`` for what each one does) and the months of history."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

_INT_KEYS = ("new_days", "reactivated_days", "churn_days", "at_risk_min_days", "loyal_min_orders",
             "loyal_min_tenure_days", "history_months")


@dataclass(frozen=True)
class LifecycleRules:
    """The ``[lifecycle]`` thresholds (``assets.analytics.lifecycle.logic`` says what each one does)."""

    new_days: int
    reactivated_days: int
    churn_days: int
    at_risk_gap_multiplier: float
    at_risk_min_days: int
    loyal_min_orders: int
    loyal_min_tenure_days: int
    history_months: int

    @classmethod
    def from_settings(cls, section: dict[str, Any]) -> LifecycleRules:
        """Read and validate the ``[lifecycle]`` settings section; errors name the offending key."""
        values: dict[str, Any] = {}
        for key in (*_INT_KEYS, "at_risk_gap_multiplier"):
            if key not in section:
                raise ValueError(f"settings [lifecycle] is missing the key {key!r}")
            value = section[key]
            if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
                raise ValueError(f"settings [lifecycle] {key} must be a number ≥ 0, got {value!r}")
            if key in _INT_KEYS and int(value) != value:
                raise ValueError(f"settings [lifecycle] {key} must be a whole number, got {value!r}")
            values[key] = float(value) if key == "at_risk_gap_multiplier" else int(value)
        return cls(**values)

    def parameters(self) -> dict[str, Any]:
        return {
            "new_days": self.new_days,
            "reactivated_days": self.reactivated_days,
            "churn_days": self.churn_days,
            "gap_multiplier": self.at_risk_gap_multiplier,
            "at_risk_min_days": self.at_risk_min_days,
            "loyal_min_orders": self.loyal_min_orders,
            "loyal_min_tenure_days": self.loyal_min_tenure_days,
        }
