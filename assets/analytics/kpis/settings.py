"""The setting the monthly KPIs read: ``[lifecycle] churn_days``, so that the churn KPIs agree with
the lifecycle stages (the KPIs have no settings section of their own)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def churn_days_from(thresholds: Mapping[str, Any]) -> int:
    """``[lifecycle] churn_days`` from the settings, validated (the churn KPIs need at least 31 days so
    that a customer can churn at most once a month and only from the active base)."""
    try:
        churn_days = thresholds["lifecycle"]["churn_days"]
    except KeyError as exc:
        raise ValueError("settings [lifecycle] is missing the key 'churn_days' needed by the monthly KPIs") from exc
    if isinstance(churn_days, bool) or not isinstance(churn_days, int) or churn_days < 31:
        raise ValueError(f"settings [lifecycle] churn_days must be a whole number of days ≥ 31, got {churn_days!r}")
    return churn_days
