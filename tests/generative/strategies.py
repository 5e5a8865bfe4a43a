"""Hypothesis strategies of plain sales exports, the kind real users bring.

A plain export is the minimal sales file: `customer_id, order_date, quantity, amount` (quantity
optional), with the header spellings of `pipelines/export_kinds.toml`, dates in any supported
layout, written as UTF-8 or GBK CSV or as an Excel workbook. The strategy also draws the run around
it: the as-of date (unset, before, inside or after the data) and sometimes a settings file whose
churn horizon is longer than the history.

Two shapes of data are drawn:

- *listed*: a handful of customers whose purchases are drawn one by one. Hypothesis shrinks a
  failure towards this branch, so a failing example usually ends as a few explicit rows.
- *bulk*: 1 to 5,000 customers (skewed small, a few large) whose purchases come from a seeded NumPy
  generator in one of several patterns (one purchase each, heavy buyers with hundreds, everybody
  buying regularly = nobody churns, everybody stopping early = everybody churns, identical
  customers), with amounts that are 0, negative (refund rows), huge (up to ¥1,000,000, the smallest
  plausibility bound) or tied.

Besides, up to two rows may carry a typo amount of 10^12 (a real inbox had two): those must be
quarantined as implausible and never counted as revenue, whatever else the export holds.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

import numpy as np
from hypothesis import strategies as st

from assets.ingest.export_kinds import load_export_kinds

FIRST_DAY = date(2015, 1, 1)
# Every date stays before any machine's "today": with CRM_AS_OF unset the pipeline ignores orders
# after today, so later dates would make the as-of date depend on the wall clock.
LAST_DAY = date(2026, 6, 30)
MAX_HISTORY_DAYS = 6 * 365
MAX_ROWS = 8_000  # bulk examples are cut to this many rows to stay fast
# Huge but plausible: the default plausibility bound is never below ¥1,000,000 (`[quality]
# plausible_amount_floor`), so an order line this large is staged however small the other ones are.
HUGE_AMOUNT = Decimal("1000000")
TYPO_AMOUNT = Decimal("1000000000000")  # 10^12: a typo the plausibility bound must quarantine

DATE_LAYOUTS = ("iso", "slash", "chinese", "compact")
FILE_FORMATS = ("utf-8", "utf-8-sig", "gbk", "xlsx")
ID_STYLES = ("leading_zeros", "chinese", "uuid", "code")
AS_OF_MODES = ("unset", "before", "inside", "after")
AMOUNT_STYLES = ("plain", "plain", "thousands", "yuan", "yuan_suffix")  # 1234.50, 1,234.50, ¥1234.50, 1,234.50元
PATTERNS = ("one_each", "few", "heavy", "regular", "stopped", "one_day", "identical")
_CHINESE_DIGITS = "甲乙丙丁戊己庚辛壬癸子丑寅卯辰巳午未申酉"


@dataclass(frozen=True)
class Purchase:
    """One row of the export (quantity None when the export has no quantity column)."""

    customer_id: str
    order_date: date
    quantity: int | None
    amount: Decimal


@dataclass(frozen=True)
class PlainExport:
    """A drawn inbox: the rows, how they are written, and the run's as-of date and horizon."""

    purchases: tuple[Purchase, ...]
    headers: dict[str, str]  # canonical column -> header written in the file
    date_layout: str  # one of DATE_LAYOUTS, or "excel" (real date cells in a workbook)
    file_format: str  # one of FILE_FORMATS
    files: int  # the rows are split over this many files
    as_of: date | None
    horizon_days: int | None  # None: the shipped settings (90 days)
    description: dict[str, object] = field(default_factory=dict, compare=False)
    amount_style: str = "plain"  # one of AMOUNT_STYLES
    typos: tuple[Purchase, ...] = ()  # rows with TYPO_AMOUNT, written among the purchases

    @property
    def rows(self) -> tuple[Purchase, ...]:
        """Every data row the files hold: the purchases and the typo rows."""
        return self.purchases + self.typos

    @property
    def has_quantity(self) -> bool:
        return "quantity" in self.headers

    @property
    def customers(self) -> int:
        return len({p.customer_id for p in self.purchases})


# ---- customer ids ------------------------------------------------------------------------------

def customer_ids(style: str, count: int, rng: np.random.Generator) -> list[str]:
    """``count`` distinct customer ids written in one style: 00123, 客户甲乙, a UUID or C-00042."""
    if style == "leading_zeros":
        width = max(5, len(str(count)) + 1)
        return [str(i + 1).zfill(width) for i in range(count)]
    if style == "chinese":
        base = len(_CHINESE_DIGITS)
        ids = []
        for i in range(count):
            digits, n = [], i
            while True:
                digits.append(_CHINESE_DIGITS[n % base])
                n //= base
                if n == 0:
                    break
            ids.append("客户" + "".join(reversed(digits)))
        return ids
    if style == "uuid":
        return [str(uuid.UUID(bytes=rng.bytes(16), version=4)) for _ in range(count)]
    return [f"C-{i + 1:05d}" for i in range(count)]


# ---- headers ----------------------------------------------------------------------------------

_SALES = load_export_kinds()["sales_order_lines"]
# Aliases that mean another column in a richer export (`customer` = customer name): never drawn.
_HEADER_CHOICES = {
    column: sorted({column, *(alias for alias, canonical in _SALES.aliases.items() if canonical == column)})
    for column in ("customer_code", "order_date", "quantity", "amount")
}


@st.composite
def header_spelling(draw: st.DrawFn, column: str) -> str:
    """A header for ``column``: the canonical name or an alias, in the case and separators exports use."""
    base = draw(st.sampled_from(_HEADER_CHOICES[column]))
    casing = draw(st.sampled_from(("as is", "title", "upper")))
    text = base.title() if casing == "title" else base.upper() if casing == "upper" else base
    separator = draw(st.sampled_from((" ", "_", "-")))
    return text.replace(" ", separator).replace("_", separator)


@st.composite
def headers(draw: st.DrawFn) -> dict[str, str]:
    columns = ["customer_code", "order_date", *(["quantity"] if draw(st.booleans()) else []), "amount"]
    chosen = {column: draw(header_spelling(column)) for column in columns}
    return chosen


# ---- amounts ----------------------------------------------------------------------------------

CENT = Decimal("0.01")


def money(value: float | Decimal) -> Decimal:
    """An amount with two decimals, as exports write money (so its text is the same in every file)."""
    return Decimal(str(value)).quantize(CENT)


def bulk_amounts(rng: np.random.Generator, rows: int, mix: dict[str, float]) -> list[Decimal]:
    """Amounts of ``rows`` purchases: log-normal, with shares of zeros, refunds (negative), huge
    values and a few repeated values (ties) given by ``mix``."""
    values = np.round(rng.lognormal(mean=5.5, sigma=1.4, size=rows), 2)
    draw = rng.random(rows)
    edges = np.cumsum([mix["zero"], mix["negative"], mix["huge"], mix["tied"]])
    values = np.where(draw < edges[0], 0.0, values)
    values = np.where((draw >= edges[0]) & (draw < edges[1]), -values, values)
    huge = np.round(rng.uniform(1e5, float(HUGE_AMOUNT), size=rows), 2)
    values = np.where((draw >= edges[1]) & (draw < edges[2]), huge, values)
    values = np.where((draw >= edges[2]) & (draw < edges[3]), rng.choice([99.0, 100.0, 1000.0], size=rows), values)
    return [money(round(float(v), 2)) for v in values]


amount_mixes = st.fixed_dictionaries({
    "zero": st.sampled_from((0.0, 0.0, 0.05, 0.3, 1.0)),
    "negative": st.sampled_from((0.0, 0.0, 0.05, 0.2)),
    "huge": st.sampled_from((0.0, 0.0, 0.01, 0.2)),
    "tied": st.sampled_from((0.0, 0.3, 1.0)),
})


# ---- purchase histories -----------------------------------------------------------------------

def _purchase_counts(pattern: str, customers: int, rng: np.random.Generator) -> np.ndarray:
    if pattern in ("one_each", "one_day"):
        return np.ones(customers, dtype=int)
    if pattern == "few":
        return rng.geometric(0.45, size=customers)
    if pattern == "heavy":
        counts = rng.geometric(0.5, size=customers)
        heavy = rng.random(customers) < 0.03
        return np.where(heavy, rng.integers(100, 400, size=customers), counts)
    if pattern in ("regular", "stopped"):
        return rng.integers(8, 40, size=customers)
    return rng.geometric(0.3, size=customers)  # identical


def bulk_history(pattern: str, ids: list[str], start: date, span_days: int, rng: np.random.Generator,
                 quantity: bool, mix: dict[str, float]) -> list[Purchase]:
    """The purchases of ``ids`` over ``span_days`` days from ``start`` in one of PATTERNS:

    - regular: every customer buys all through the history, last purchase within days of its end
      (nobody churns);
    - stopped: every customer buys only in the first third of the history (everybody churns when
      the history is long);
    - one_day: every purchase on the first day;
    - identical: customers come in pairs with exactly the same purchases.
    """
    counts = _purchase_counts(pattern, len(ids), rng)
    if counts.sum() > MAX_ROWS:
        counts = np.maximum(1, (counts * (MAX_ROWS / counts.sum())).astype(int))
    owner = np.repeat(np.arange(len(ids)), counts)
    rows = len(owner)
    if pattern == "one_day" or span_days == 0:
        offsets = np.zeros(rows, dtype=int)
    elif pattern == "regular":
        # evenly spread purchases, each customer's last one in the final days of the history
        position = np.concatenate([np.arange(c) for c in counts])
        step = span_days / np.repeat(counts, counts)
        jitter = rng.integers(0, max(1, min(7, span_days // 10 + 1)), size=rows)
        offsets = np.clip(span_days - (position * step).astype(int) - jitter, 0, span_days)
    elif pattern == "stopped":
        offsets = rng.integers(0, max(1, span_days // 3) + 1, size=rows)
    else:
        offsets = rng.integers(0, span_days + 1, size=rows)
    if pattern == "identical":
        # customers 2k and 2k + 1 buy exactly the same things on the same days
        keep = owner % 2 == 0
        owner = np.concatenate([owner[keep], np.minimum(owner[keep] + 1, len(ids) - 1)])
        offsets = np.concatenate([offsets[keep], offsets[keep]])
        rows = len(owner)
    amounts = bulk_amounts(rng, rows, mix)
    if pattern == "identical":
        half = rows // 2
        amounts = amounts[:half] + amounts[:half]
    quantities = rng.integers(1, 6, size=rows) if quantity else None
    if quantities is not None:  # refund rows often carry a negative quantity too
        quantities = np.where((np.array([a < 0 for a in amounts])) & (rng.random(rows) < 0.5), -quantities, quantities)
    return [
        Purchase(ids[owner[i]], start + timedelta(days=int(offsets[i])),
                 int(quantities[i]) if quantities is not None else None, amounts[i])
        for i in range(rows)
    ]


@st.composite
def bulk_purchases(draw: st.DrawFn, quantity: bool) -> tuple[list[Purchase], dict[str, object]]:
    tier = draw(st.sampled_from(("tiny", "tiny", "tiny", "small", "small", "medium", "large")))
    bounds = {"tiny": (1, 30), "small": (31, 300), "medium": (301, 1500), "large": (1501, 5000)}[tier]
    customers = draw(st.integers(*bounds))
    pattern = draw(st.sampled_from(PATTERNS))
    span_days = draw(st.one_of(st.just(0), st.integers(1, 120), st.integers(121, MAX_HISTORY_DAYS)))
    start = draw(st.dates(FIRST_DAY, LAST_DAY - timedelta(days=span_days)))
    style = draw(st.sampled_from(ID_STYLES))
    mix = draw(amount_mixes)
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    purchases = bulk_history(pattern, customer_ids(style, customers, rng), start, span_days, rng, quantity, mix)
    return purchases, {"shape": "bulk", "customers": customers, "pattern": pattern, "span_days": span_days,
                       "start": start.isoformat(), "id_style": style, "amount_mix": mix, "seed": seed}


@st.composite
def listed_purchases(draw: st.DrawFn, quantity: bool) -> tuple[list[Purchase], dict[str, object]]:
    """A few customers, each purchase drawn explicitly (the shape failures shrink to)."""
    style = draw(st.sampled_from(ID_STYLES))
    customers = draw(st.integers(1, 12))
    ids = customer_ids(style, customers, np.random.default_rng(customers))
    start = draw(st.dates(FIRST_DAY, LAST_DAY))
    span_days = draw(st.integers(0, min(MAX_HISTORY_DAYS, (LAST_DAY - start).days)))
    amount = st.one_of(
        st.sampled_from((Decimal("0"), Decimal("100"), Decimal("-100"), HUGE_AMOUNT)),
        st.decimals(Decimal("-5000"), HUGE_AMOUNT, places=2, allow_nan=False, allow_infinity=False),
    )
    row = st.tuples(st.integers(0, customers - 1), st.integers(0, span_days), amount, st.integers(1, 50))
    rows = draw(st.lists(row, min_size=1, max_size=40))
    purchases = [
        Purchase(ids[c], start + timedelta(days=offset), qty if quantity else None, money(value))
        for c, offset, value, qty in rows
    ]
    return purchases, {"shape": "listed", "customers": customers, "id_style": style}


# ---- the run around the data ------------------------------------------------------------------

@st.composite
def as_of_dates(draw: st.DrawFn, first: date, last: date) -> tuple[date | None, str]:
    mode = draw(st.sampled_from(AS_OF_MODES))
    if mode == "unset":
        return None, mode
    if mode == "before":
        return first - timedelta(days=draw(st.integers(1, 800))), mode
    if mode == "inside":
        return first + timedelta(days=draw(st.integers(0, (last - first).days))), mode
    return last + timedelta(days=draw(st.integers(1, 1200))), mode


@st.composite
def plain_exports(draw: st.DrawFn) -> PlainExport:
    """A plain sales export and the run settings to analyse it with."""
    chosen_headers = draw(headers())
    quantity = "quantity" in chosen_headers
    purchases, description = draw(st.one_of(listed_purchases(quantity), bulk_purchases(quantity)))
    purchases = draw(st.permutations(purchases)) if len(purchases) <= 40 else purchases
    file_format = draw(st.sampled_from(FILE_FORMATS))
    layouts = (*DATE_LAYOUTS, "excel") if file_format == "xlsx" else DATE_LAYOUTS
    date_layout = draw(st.sampled_from(layouts))
    first = min(p.order_date for p in purchases)
    last = max(p.order_date for p in purchases)
    as_of, as_of_mode = draw(as_of_dates(first, last))
    history = (last - first).days
    horizon = draw(st.one_of(st.none(), st.integers(history + 1, history + 400)))
    typo_rows = draw(st.sampled_from((0, 0, 0, 1, 2)))
    typos = tuple(
        Purchase(purchases[i].customer_id, purchases[i].order_date, purchases[i].quantity, TYPO_AMOUNT)
        for i in draw(st.lists(st.integers(0, len(purchases) - 1), min_size=typo_rows, max_size=typo_rows))
    )
    files = draw(st.integers(1, 3)) if len(purchases) >= 3 else 1
    return PlainExport(
        purchases=tuple(purchases), headers=chosen_headers, date_layout=date_layout, file_format=file_format,
        files=files, as_of=as_of, horizon_days=horizon,
        description={**description, "rows": len(purchases), "as_of_mode": as_of_mode, "typos": typo_rows},
        amount_style=draw(st.sampled_from(AMOUNT_STYLES)), typos=typos,
    )
