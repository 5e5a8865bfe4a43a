"""Numbers, money, percentages and dates written the way each language's readers expect.

Chinese: 1,234,567 · ¥1,234,567 · 12.5% · 2026年6月30日 · large amounts also as 123.5万.
English: 1,234,567 · ¥1,234,567 · 12.5% · 30 Jun 2026.
Missing values are shown as an em dash (—).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

MISSING = "—"
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _dash_when_missing(method: Callable[..., str]) -> Callable[..., str]:
    """A formatting method that shows MISSING for a None or NaN value instead of formatting it."""
    @functools.wraps(method)
    def formatted(self: Formatter, value: Any, *args: Any, **kwargs: Any) -> str:
        return MISSING if _missing(value) else method(self, value, *args, **kwargs)
    return formatted


@dataclass(frozen=True)
class Formatter:
    """Formats values for one report language ("zh" or "en") and currency symbol."""

    language: str
    currency_symbol: str = "¥"

    @_dash_when_missing
    def number(self, value: float | int | None, decimals: int = 0) -> str:
        return f"{float(value):,.{decimals}f}"

    @_dash_when_missing
    def money(self, value: float | int | None, decimals: int = 0) -> str:
        sign = "-" if float(value) < 0 else ""
        return f"{sign}{self.currency_symbol}{abs(float(value)):,.{decimals}f}"

    @_dash_when_missing
    def money_short(self, value: float | int | None) -> str:
        """Large amounts in the unit readers use: 万 / 亿 in Chinese, k / M in English."""
        v = float(value)
        if self.language == "zh":
            for unit, size in (("亿", 1e8), ("万", 1e4)):
                if abs(v) >= size:
                    return f"{self.currency_symbol}{v / size:,.1f}{unit}"
        else:
            for unit, size in (("M", 1e6), ("k", 1e3)):
                if abs(v) >= size:
                    return f"{self.currency_symbol}{v / size:,.1f}{unit}"
        return self.money(v)

    @_dash_when_missing
    def percent(self, share: float | None, decimals: int = 1) -> str:
        """A share (0.125) as a percentage (12.5%)."""
        return f"{float(share) * 100:.{decimals}f}%"

    @_dash_when_missing
    def points(self, change: float | None, decimals: int = 1) -> str:
        """A change of a share in percentage points, signed: +2.5 pp / +2.5个百分点."""
        text = f"{float(change) * 100:+.{decimals}f}"
        return f"{text}个百分点" if self.language == "zh" else f"{text} pp"

    @_dash_when_missing
    def signed_percent(self, relative: float | None, decimals: int = 1) -> str:
        return f"{float(relative) * 100:+.{decimals}f}%"

    @_dash_when_missing
    def date(self, value: date | datetime | None) -> str:
        """The day and its month: 2026年6月5日 / 5 Jun 2026."""
        if self.language == "zh":
            return f"{self.month(value)}{value.day}日"
        return f"{value.day} {self.month(value)}"

    @_dash_when_missing
    def month(self, value: date | None) -> str:
        if self.language == "zh":
            return f"{value.year}年{value.month}月"
        return f"{_MONTHS[value.month - 1]} {value.year}"

    @_dash_when_missing
    def datetime(self, value: datetime | None) -> str:
        return f"{self.date(value)} {value:%H:%M} UTC"
