"""The ``[customer_360]`` settings: the activity windows of the profile's CRM activity counts."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from assets.common.settings import shipped

DEFAULT_ACTIVITY_WINDOWS = tuple(shipped("customer_360", "activity_windows_days"))


@dataclass(frozen=True)
class Customer360Settings:
    """The ``[customer_360]`` section of settings.toml, validated."""

    activity_windows_days: tuple[int, ...] = DEFAULT_ACTIVITY_WINDOWS

    @classmethod
    def from_thresholds(cls, section: Mapping[str, Any]) -> Customer360Settings:
        """``[customer_360] activity_windows_days`` as a sorted tuple of distinct positive integers."""
        raw = section.get("activity_windows_days", DEFAULT_ACTIVITY_WINDOWS)
        windows = tuple(sorted({int(w) for w in raw}))
        if not windows or any(w <= 0 for w in windows) or any(int(w) != w for w in raw):
            raise ValueError(
                "[customer_360] activity_windows_days must be a list of positive whole numbers of days, "
                f"got {raw!r}"
            )
        return cls(activity_windows_days=windows)


def activity_windows(thresholds: dict | None) -> tuple[int, ...]:
    """``[customer_360] activity_windows_days`` as a sorted tuple of distinct positive integers."""
    return Customer360Settings.from_thresholds((thresholds or {}).get("customer_360") or {}).activity_windows_days
