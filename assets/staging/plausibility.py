"""The plausibility bound of a sales order line's amount: an amount larger than it (in absolute
value, so a refund typo counts too) is a typo - an extra run of zeros, a phone number or a date
pasted into the amount column - and the line is quarantined instead of becoming revenue.

The bound is ``[quality] max_order_line_amount`` when set to a number. By default ("auto") it comes
from the amounts themselves: ``plausible_amount_multiple`` (1000) times a high quantile
(``plausible_amount_quantile``, 0.99) of the positive amounts of the current exports, and never less
than ``plausible_amount_floor`` (¥1,000,000). The quantile ignores at least the two largest amounts,
so a few typos cannot raise their own bound, even in an export of three lines; without positive
amounts (nothing sold yet, only free samples) the bound is the floor. Zero and negative amounts
(free samples, refunds) are legal values.

Why these defaults: in a long-tailed order distribution the largest real line is rarely more than
a few hundred times the 99th percentile, while a typo such as 1e12 among ¥100-¥100,000 orders is
ten million times it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import duckdb

from assets.common.sql import SqlFolder
from assets.common.tables import table_exists
from assets.staging.settings import DEFAULT_FLOOR, DEFAULT_MULTIPLE, DEFAULT_QUANTILE, PlausibilitySettings

# The quantile always leaves out at least this many of the largest amounts.
LARGEST_IGNORED = 2
SQL = SqlFolder(__file__)



@dataclass(frozen=True)
class AmountBound:
    """The largest plausible absolute amount of one order line, how it was decided and the
    quarantine rule text that names it."""

    value: Decimal
    decided_by: str  # setting | quantile | floor
    rule: str
    reference: Decimal | None = None
    positive_amounts: int = 0


def _money(value: Decimal) -> str:
    """¥1,000,000 or ¥3,611.20."""
    fen = value.quantize(Decimal("0.01"))
    return f"¥{fen:,.0f}" if fen == fen.to_integral_value() else f"¥{fen:,.2f}"


_CHANGE = "set [quality] max_order_line_amount to change the bound"


def default_amount_bound() -> AmountBound:
    """The bound as the shipped spec describes it, before any data is seen: the floor."""
    return AmountBound(DEFAULT_FLOOR, "floor", (
        f"implausible amount: above the plausibility bound ([quality] max_order_line_amount; by default "
        f"{DEFAULT_MULTIPLE} × the {DEFAULT_QUANTILE} quantile of the positive amounts, "
        f"at least {_money(DEFAULT_FLOOR)})"
    ))


def amount_bound(settings: PlausibilitySettings, reference: Decimal | None, positive_amounts: int) -> AmountBound:
    """The bound from the settings and the reference quantile of the positive amounts (None: too few)."""
    if settings.max_order_line_amount is not None:
        value = settings.max_order_line_amount
        return AmountBound(value, "setting", f"implausible amount: more than {_money(value)}, the bound set by "
                           f"[quality] max_order_line_amount; raise it if such order lines are real",
                           reference, positive_amounts)
    derived = None if reference is None else settings.multiple * reference
    multiple = f"{settings.multiple.normalize():f}"
    quantile = (f"the {settings.quantile:g} quantile of the {positive_amounts:,} positive amounts, leaving out at "
                f"least the {LARGEST_IGNORED} largest")
    if derived is not None and derived > settings.floor:
        rule = (f"implausible amount: more than {_money(derived)} = {multiple} × {_money(reference)} ({quantile}); "
                f"{_CHANGE}")
        return AmountBound(derived, "quantile", rule, reference, positive_amounts)
    why = ("too few positive amounts for a quantile" if derived is None
           else f"{multiple} × {_money(reference)} ({quantile}) is only {_money(derived)}")
    return AmountBound(settings.floor, "floor",
                       f"implausible amount: more than {_money(settings.floor)}, the smallest bound "
                       f"([quality] plausible_amount_floor; {why}); {_CHANGE}",
                       reference, positive_amounts)


def derive_amount_bound(conn: duckdb.DuckDBPyConnection, amounts: str | Mapping[str, Any],
                        settings: PlausibilitySettings) -> AmountBound:
    """The bound from the settings and the amounts: a table with the column ``amount``, or the
    structure of sql/amount_bound.sql that reads the current version of every export of a kind
    (``kind``, ``column`` and the number columns' structure)."""
    if settings.max_order_line_amount is not None:
        return amount_bound(settings, reference=None, positive_amounts=0)
    structure = {"amounts": amounts} if isinstance(amounts, str) else amounts
    positive_amounts, reference = SQL.run(
        conn, "amount_bound", structure, quantile=settings.quantile, ignored=LARGEST_IGNORED
    ).fetchone()
    return amount_bound(settings, None if reference is None else Decimal(reference), int(positive_amounts))


def record_amount_bound(conn: duckdb.DuckDBPyConnection, kind: str, column: str, bound: AmountBound,
                        settings: PlausibilitySettings) -> None:
    """Keep the bound of this build in ``quality.amount_bounds`` (one row per kind and column)."""
    SQL.run(conn, "amount_bounds_table")
    conn.execute("BEGIN TRANSACTION")
    try:
        SQL.run(conn, "amount_bounds", kind=kind, column=column, bound=bound.value, decided_by=bound.decided_by,
                reference=bound.reference, quantile=settings.quantile, multiple=settings.multiple,
                floor=settings.floor, positive_amounts=bound.positive_amounts, rule=bound.rule)
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


def recorded_amount_bound(conn: duckdb.DuckDBPyConnection, kind: str, column: str) -> Decimal | None:
    """The bound the last staging build of ``kind`` used, None before the first build."""
    if not table_exists(conn, "quality.amount_bounds"):
        return None
    row = conn.execute("SELECT bound FROM quality.amount_bounds WHERE kind = ? AND column_name = ?",
                       [kind, column]).fetchone()
    return None if row is None else row[0]
