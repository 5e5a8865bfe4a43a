"""The reports' settings: the ``[reports]`` section of settings.toml."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from assets.common.settings import section_values, shipped_defaults


@dataclass(frozen=True)
@shipped_defaults("reports")
class ReportSettings:
    """The ``[reports]`` section of settings.toml: the index's first language, the currency symbol,
    the list sizes of the churn watchlist and the key-account table, and the data-quality report's
    history length and scorecard colours."""

    default_language: str
    currency_symbol: str
    # Churn watchlist: at most this many customers, highest value at risk first.
    watchlist_size: int
    # Key-account table: at most this many accounts listed (about 600 bytes each, so the page stays
    # well under 10 MB; the summary cards always count every VIP and A account) ...
    key_accounts_max_rows: int
    # ... of which this many are laid out at first; "show more" reveals the rest (10,000 laid-out rows
    # take ~4 s to render).
    key_accounts_page_size: int
    # Data-quality report: check runs shown in the chart and history table.
    quality_history_runs: int
    # Scorecard colours: green at or above good, amber at or above warn, red below.
    quality_score_good: float
    quality_score_warn: float
    # Report sets kept in <reports>/runs/ (the newest; a set still linked as latest/ or a dated
    # folder is always kept).
    keep_runs: int

    @classmethod
    def from_thresholds(cls, section: Mapping[str, Any]) -> ReportSettings:
        """Read ``settings.rules()["reports"]`` (a missing key takes the shipped value)."""
        # Each key read as its field's type (the settings file's types are checked on load).
        return cls(**section_values(cls, section))


def report_settings(thresholds: Mapping[str, Any] | None) -> ReportSettings:
    """The ``[reports]`` settings of the run's thresholds (the shipped values when it has none)."""
    return ReportSettings.from_thresholds((thresholds or {}).get("reports") or {})
