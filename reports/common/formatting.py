"""Numbers, money, percentages and dates written the way each language's readers expect.

Chinese: 1,234,567 · ¥1,234,567 · 12.5% · 2026年6月30日 · large amounts also as 123.5万.
English: 1,234,567 · ¥1,234,567 · 12.5% · 30 Jun 2026.
Missing values are shown as an em dash (—).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime

MISSING = "—"
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


@dataclass(frozen=True)
class Formatter:
    """Formats values for one report language ("zh" or "en") and currency symbol."""

    language: str
    currency_symbol: str = "¥"

    def number(self, value: float | int | None, decimals: int = 0) -> str:
        if _missing(value):
            return MISSING
        return f"{float(value):,.{decimals}f}"

    def money(self, value: float | int | None, decimals: int = 0) -> str:
        if _missing(value):
            return MISSING
        sign = "-" if float(value) < 0 else ""
        return f"{sign}{self.currency_symbol}{abs(float(value)):,.{decimals}f}"

    def money_short(self, value: float | int | None) -> str:
        """Large amounts in the unit readers use: 万 / 亿 in Chinese, k / M in English."""
        if _missing(value):
            return MISSING
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

    def percent(self, share: float | None, decimals: int = 1) -> str:
        """A share (0.125) as a percentage (12.5%)."""
        if _missing(share):
            return MISSING
        return f"{float(share) * 100:.{decimals}f}%"

    def points(self, change: float | None, decimals: int = 1) -> str:
        """A change of a share in percentage points, signed: +2.5 pp / +2.5个百分点."""
        if _missing(change):
            return MISSING
        text = f"{float(change) * 100:+.{decimals}f}"
        return f"{text}个百分点" if self.language == "zh" else f"{text} pp"

    def signed_percent(self, relative: float | None, decimals: int = 1) -> str:
        if _missing(relative):
            return MISSING
        return f"{float(relative) * 100:+.{decimals}f}%"

    def date(self, value: date | datetime | None) -> str:
        """The day and its month: 2026年6月5日 / 5 Jun 2026."""
        if value is None:
            return MISSING
        if self.language == "zh":
            return f"{self.month(value)}{value.day}日"
        return f"{value.day} {self.month(value)}"

    def month(self, value: date | None) -> str:
        if value is None:
            return MISSING
        if self.language == "zh":
            return f"{value.year}年{value.month}月"
        return f"{_MONTHS[value.month - 1]} {value.year}"

    def datetime(self, value: datetime | None) -> str:
        if value is None:
            return MISSING
        return f"{self.date(value)} {value:%H:%M} UTC"
