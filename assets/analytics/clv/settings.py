"""The CLV topic's settings: the ``[clv]`` section of pipelines/settings.toml."""

from dataclasses import dataclass
from typing import Any

from assets.common.settings import shipped


@dataclass(frozen=True)
class ClvSettings:
    annual_discount_rate: float = float(shipped("clv", "annual_discount_rate"))
    min_customers: int = int(shipped("clv", "min_customers"))
    min_repeat_customers: int = int(shipped("clv", "min_repeat_customers"))

    @property
    def monthly_discount_rate(self) -> float:
        return (1.0 + self.annual_discount_rate) ** (1.0 / 12.0) - 1.0

    @classmethod
    def from_thresholds(cls, thresholds: dict[str, Any]) -> "ClvSettings":
        section = thresholds.get("clv", {})
        defaults = cls()
        return cls(
            annual_discount_rate=float(section.get("annual_discount_rate", defaults.annual_discount_rate)),
            min_customers=int(section.get("min_customers", defaults.min_customers)),
            min_repeat_customers=int(section.get("min_repeat_customers", defaults.min_repeat_customers)),
        )
