"""The settings of the staging layer, read and validated from the settings file
(pipelines/settings.toml): ``[staging] decimal_separator`` and ``date_order`` (how number and date
columns whose own values do not tell are read, see numbers.py and date_order.py) and the
plausibility bound of a sales order line's amount in ``[quality]`` (plausibility.py). Defaults are
the shipped settings."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from assets.common.settings import shipped

DECIMAL_SEPARATORS = ("auto", ".", ",")
DATE_ORDERS = ("auto", "dmy", "mdy")


def date_order_setting(thresholds: Mapping[str, Any] | None) -> str:
    """``[staging] date_order`` of the settings ("auto" when absent)."""
    value = str(((thresholds or {}).get("staging") or {}).get("date_order", "auto")).strip().lower()
    if value not in DATE_ORDERS:
        raise ValueError(f'settings [staging] date_order must be one of {", ".join(DATE_ORDERS)}, got {value!r}')
    return value


DEFAULT_QUANTILE = float(shipped("quality", "plausible_amount_quantile"))
DEFAULT_MULTIPLE = Decimal(str(shipped("quality", "plausible_amount_multiple")))
DEFAULT_FLOOR = Decimal(str(shipped("quality", "plausible_amount_floor")))


@dataclass(frozen=True)
class NumberSettings:
    """``[staging] decimal_separator``: "auto" (decide from the values, "." without evidence), or "."
    / "," for columns whose own values do not tell."""

    decimal_separator: str = str(shipped("staging", "decimal_separator"))

    @classmethod
    def from_thresholds(cls, thresholds: Mapping[str, Any] | None) -> NumberSettings:
        value = str((thresholds or {}).get("staging", {}).get("decimal_separator", cls.decimal_separator))
        if value not in DECIMAL_SEPARATORS:
            raise ValueError(
                f"[staging] decimal_separator must be one of {', '.join(repr(s) for s in DECIMAL_SEPARATORS)}, "
                f"got {value!r}"
            )
        return cls(value)


@dataclass(frozen=True)
class PlausibilitySettings:
    """``[quality]``: max_order_line_amount ("auto" or a number), plausible_amount_quantile,
    plausible_amount_multiple, plausible_amount_floor."""

    max_order_line_amount: Decimal | None = None
    quantile: float = DEFAULT_QUANTILE
    multiple: Decimal = DEFAULT_MULTIPLE
    floor: Decimal = DEFAULT_FLOOR

    @classmethod
    def from_thresholds(cls, thresholds: Mapping[str, Any] | None) -> PlausibilitySettings:
        quality = (thresholds or {}).get("quality", {})
        fixed = quality.get("max_order_line_amount", "auto")
        settings = cls(
            max_order_line_amount=None if fixed == "auto" else _decimal(fixed, "max_order_line_amount"),
            quantile=float(quality.get("plausible_amount_quantile", DEFAULT_QUANTILE)),
            multiple=_decimal(quality.get("plausible_amount_multiple", DEFAULT_MULTIPLE), "plausible_amount_multiple"),
            floor=_decimal(quality.get("plausible_amount_floor", DEFAULT_FLOOR), "plausible_amount_floor"),
        )
        if not 0 < settings.quantile <= 1:
            raise ValueError(f"[quality] plausible_amount_quantile must be in (0, 1], got {settings.quantile}")
        positive = (("max_order_line_amount", settings.max_order_line_amount),
                    ("plausible_amount_multiple", settings.multiple), ("plausible_amount_floor", settings.floor))
        for name, value in positive:
            if value is not None and value <= 0:
                raise ValueError(f"[quality] {name} must be more than 0, got {value}")
        return settings


def _decimal(value: Any, name: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        raise ValueError(f"[quality] {name} must be a number, got {value!r}")
    try:
        return Decimal(str(value))
    except ArithmeticError as exc:
        raise ValueError(f"[quality] {name} must be a number, got {value!r}") from exc


