"""Dirt: the ways real exports get messy, applied on purpose and written down in a log.

Every file is first built clean (all cells as text in the system's normal format). Then dirt is
applied to randomly chosen cells or rows at the rates of :class:`~pipelines.tools.sample_data.config.DirtRates`
and each change is recorded (which row, which column, what kind of dirt, what the cell now holds and
what it held before). Finally some rows are written twice (exact duplicates, directly below the
original). The log becomes ``dirt.parquet`` in the ground truth.

Formats produced (the clean form first):

* phones: ``13800138000``; dirty ``+86 138-0013-8000``, ``0086 138 0013 8000``, ``138 0013 8000``,
  ``(+86)13800138000``, ``86-13800138000``, ``+8613800138000``, ``138-0013-8000``
* e-mails: ``zhangwei@163.com``; dirty: upper case, capitalised, mixed case, padded with spaces
* dates: ``2024-08-22 14:03:11`` (``2024-08-22`` for date-only columns); dirty ``2024-08-22``,
  ``2024/8/22 14:03``, ``2024/8/22``, ``2024年8月22日``, ``2024年8月22日 14:03``, ``2024-08-22T14:03:11``,
  Excel serial numbers ``45526`` / ``45526.58542``
* money: ``1234.50``; dirty ``¥1,234.50``, ``1,234.50元``, ``RMB 1234.5``, ``￥1234.50``, ``1,234.50``
* unreadable dates: ``2024-13-45``, ``N/A``, ``待定``, ``0000-00-00``, ``2025-02-30``, ``31/31/2024``
* unreadable amounts: ``abc``, ``#VALUE!``, ``面议``, ``见合同``
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import polars as pl

from pipelines.tools.sample_data.timeline import EXCEL_EPOCH_OFFSET, SECONDS_PER_DAY

BAD_DATES: tuple[str, ...] = ("2024-13-45", "N/A", "待定", "0000-00-00", "2025-02-30", "31/31/2024")
BAD_AMOUNTS: tuple[str, ...] = ("abc", "#VALUE!", "面议", "见合同")

DIRT_SCHEMA: dict[str, pl.DataType] = {
    "rid": pl.Int64(),
    "column": pl.String(),
    "dirt_type": pl.String(),
    "recoverable": pl.Boolean(),
    "value": pl.String(),
    "clean_value": pl.String(),
}


# ---------------------------------------------------------------------------------------------
# Choosing cells
# ---------------------------------------------------------------------------------------------


def _as_index(eligible: np.ndarray | int) -> np.ndarray:
    if isinstance(eligible, int | np.integer):
        return np.arange(int(eligible), dtype=np.int64)
    eligible = np.asarray(eligible)
    if eligible.dtype == np.bool_:
        return np.flatnonzero(eligible)
    return eligible.astype(np.int64)


def pick_many(rng: np.random.Generator, eligible: np.ndarray | int, rates: list[float]) -> list[np.ndarray]:
    """Choose disjoint sets of rows, one per rate, among ``eligible`` (a row count, a boolean mask or
    row numbers). Each set has ``rate x eligible`` rows, rounded up or down at random so the
    expected size is exact. Returned row numbers are sorted."""
    pool = _as_index(eligible)
    sizes = [int(np.floor(r * pool.shape[0] + rng.random())) if r > 0 else 0 for r in rates]
    total = min(sum(sizes), pool.shape[0])
    if total == 0:
        return [np.empty(0, dtype=np.int64) for _ in rates]
    chosen = pool[rng.choice(pool.shape[0], size=total, replace=False)]
    out: list[np.ndarray] = []
    start = 0
    for size in sizes:
        part = chosen[start:start + size]
        start += part.shape[0]
        out.append(np.sort(part))
    return out


def pick(rng: np.random.Generator, eligible: np.ndarray | int, rate: float) -> np.ndarray:
    """Choose ``rate`` of the eligible rows (see :func:`pick_many`)."""
    return pick_many(rng, eligible, [rate])[0]


# ---------------------------------------------------------------------------------------------
# The log and the file draft
# ---------------------------------------------------------------------------------------------


@dataclass
class Draft:
    """A file being built: its cells as text, one column per canonical column name, plus the log of
    the dirt applied so far (row numbers ``rid`` refer to ``frame`` before duplicates are added)."""

    frame: pl.DataFrame
    log: list[pl.DataFrame] = field(default_factory=list)

    @property
    def height(self) -> int:
        """Number of rows before duplicates."""
        return self.frame.height

    def replace(self, column: str, rids: np.ndarray, new: pl.Series | None, dirt_type: str,
                recoverable: bool) -> None:
        """Overwrite ``column`` at rows ``rids`` with ``new`` (None blanks the cells) and log it."""
        if rids.shape[0] == 0:
            return
        old_series = self.frame.get_column(column)
        old = old_series.gather(rids)
        values = (pl.Series(column, [None] * rids.shape[0], dtype=old_series.dtype) if new is None
                  else new.cast(old_series.dtype).rename(column))
        self.frame = self.frame.with_columns(old_series.clone().scatter(rids, values))
        self.note(rids, column, dirt_type, recoverable, values.cast(pl.String), old.cast(pl.String))

    def note(self, rids: np.ndarray, column: str | None, dirt_type: str, recoverable: bool,
             value: pl.Series | None = None, clean: pl.Series | None = None) -> None:
        """Log dirt at ``rids`` without changing cells (for changes made elsewhere)."""
        n = rids.shape[0]
        if n == 0:
            return
        none = pl.Series([None] * n, dtype=pl.String)
        self.log.append(
            pl.DataFrame(
                {
                    "rid": rids.astype(np.int64),
                    "column": pl.Series([column] * n, dtype=pl.String),
                    "dirt_type": pl.Series([dirt_type] * n, dtype=pl.String),
                    "recoverable": np.full(n, recoverable),
                    "value": none if value is None else value.cast(pl.String).rename("value"),
                    "clean_value": none if clean is None else clean.cast(pl.String).rename("clean_value"),
                },
                schema=DIRT_SCHEMA,
            )
        )

    def log_frame(self) -> pl.DataFrame:
        """All logged dirt so far."""
        if not self.log:
            return pl.DataFrame(schema=DIRT_SCHEMA)
        return pl.concat(self.log, how="vertical")


LOG_SCHEMA: dict[str, pl.DataType] = {**{k: v for k, v in DIRT_SCHEMA.items() if k != "rid"},
                                      "position": pl.Int64()}


def empty_log() -> pl.DataFrame:
    """A dirt log without entries (same columns as :func:`add_duplicates` returns)."""
    return pl.DataFrame(schema=LOG_SCHEMA)


def add_duplicates(rng: np.random.Generator, draft: Draft, rate: float) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Write ``rate`` of the rows twice (the copy directly below the original).

    Returns the final rows and the dirt log with ``position`` (0-based data row in the file): dirt of
    a duplicated row is logged for both copies, and each copy gets a ``duplicate_row`` entry."""
    n = draft.height
    dup = pick(rng, n, rate)
    counts = np.ones(n, dtype=np.int64)
    counts[dup] = 2
    first_pos = np.cumsum(counts) - counts
    frame = draft.frame[np.repeat(np.arange(n, dtype=np.int64), counts)] if dup.shape[0] else draft.frame
    log = draft.log_frame()
    rid = log.get_column("rid").to_numpy()
    is_dup = np.zeros(n, dtype=bool)
    is_dup[dup] = True
    entries = log.with_columns(pl.Series("position", first_pos[rid] if rid.shape[0] else rid))
    copies = entries.filter(pl.Series(is_dup[rid] if rid.shape[0] else np.zeros(0, bool))).with_columns(
        pl.col("position") + 1)
    dup_entries = pl.DataFrame(
        {
            "rid": dup,
            "column": pl.Series([None] * dup.shape[0], dtype=pl.String),
            "dirt_type": pl.Series(["duplicate_row"] * dup.shape[0], dtype=pl.String),
            "recoverable": np.ones(dup.shape[0], dtype=bool),
            "value": pl.Series([None] * dup.shape[0], dtype=pl.String),
            "clean_value": pl.Series([None] * dup.shape[0], dtype=pl.String),
        },
        schema=DIRT_SCHEMA,
    ).with_columns(pl.Series("position", first_pos[dup] + 1))
    return frame, pl.concat([entries, copies, dup_entries], how="vertical").drop("rid")


# ---------------------------------------------------------------------------------------------
# Clean formats
# ---------------------------------------------------------------------------------------------


def datetime_text(epoch_s: pl.Series, with_time: bool = True) -> pl.Series:
    """Clean text of Unix seconds: ``2024-08-22 14:03:11`` (or ``2024-08-22``)."""
    fmt = "%Y-%m-%d %H:%M:%S" if with_time else "%Y-%m-%d"
    return pl.from_epoch(epoch_s.cast(pl.Int64), time_unit="s").dt.strftime(fmt)


def money_text(cents: pl.Series) -> pl.Series:
    """Clean text of an amount in cents: ``1234.50`` (exact decimal arithmetic)."""
    return (cents.cast(pl.Int64).cast(pl.Decimal(38, 2)) / 100).cast(pl.String).rename(cents.name)


def _money_expr(cents: pl.Expr, grouped: bool = False, trim: bool = False) -> pl.Expr:
    whole = cents // 100
    frac = (cents % 100).cast(pl.String).str.zfill(2)
    whole_text = _grouped_expr(whole) if grouped else whole.cast(pl.String)
    if trim:
        frac_trim = frac.str.strip_chars_end("0")
        return pl.when(frac_trim == "").then(whole_text).otherwise(whole_text + "." + frac_trim)
    return whole_text + "." + frac


def _grouped_expr(whole: pl.Expr) -> pl.Expr:
    """Integer with thousands separators (non-negative values below 10^15)."""
    g0 = (whole % 1000).cast(pl.String)
    g1 = ((whole // 1000) % 1000).cast(pl.String)
    g2 = ((whole // 1_000_000) % 1000).cast(pl.String)
    g3 = (whole // 1_000_000_000).cast(pl.String)
    return (
        pl.when(whole >= 1_000_000_000).then(g3 + "," + g2.str.zfill(3) + "," + g1.str.zfill(3) + ","
                                             + g0.str.zfill(3))
        .when(whole >= 1_000_000).then(g2 + "," + g1.str.zfill(3) + "," + g0.str.zfill(3))
        .when(whole >= 1000).then(g1 + "," + g0.str.zfill(3))
        .otherwise(g0)
    )


def excel_serial(epoch_s: np.ndarray) -> np.ndarray:
    """Excel serial day numbers (fractional) of Unix seconds."""
    return epoch_s / SECONDS_PER_DAY + EXCEL_EPOCH_OFFSET


def excel_serial_text(epoch_s: np.ndarray, with_time: bool) -> pl.Series:
    """Excel serial numbers as text: ``45526`` or ``45526.58542`` (exact integer arithmetic)."""
    days = epoch_s // SECONDS_PER_DAY + EXCEL_EPOCH_OFFSET
    if not with_time:
        return pl.Series(days).cast(pl.String)
    frac = np.rint((epoch_s % SECONDS_PER_DAY) * 100000 / SECONDS_PER_DAY).astype(np.int64)
    days = days + (frac >= 100000)
    frac = np.where(frac >= 100000, 0, frac)
    return pl.Series(days).cast(pl.String) + "." + pl.Series(frac).cast(pl.String).str.zfill(5)


# ---------------------------------------------------------------------------------------------
# Dirty variants
# ---------------------------------------------------------------------------------------------


def _variants(rng: np.random.Generator, n: int, count: int) -> np.ndarray:
    return rng.integers(0, count, n)


def dirty_phones(rng: np.random.Generator, clean: pl.Series) -> pl.Series:
    """Rewrite clean 11-digit phones in one of seven other common formats."""
    df = pl.DataFrame({"p": clean.cast(pl.String), "v": _variants(rng, clean.len(), 7)})
    a, b, c = pl.col("p").str.slice(0, 3), pl.col("p").str.slice(3, 4), pl.col("p").str.slice(7, 4)
    expr = (
        pl.when(pl.col("v") == 0).then("+86 " + a + "-" + b + "-" + c)
        .when(pl.col("v") == 1).then("0086 " + a + " " + b + " " + c)
        .when(pl.col("v") == 2).then(a + " " + b + " " + c)
        .when(pl.col("v") == 3).then("(+86)" + pl.col("p"))
        .when(pl.col("v") == 4).then("86-" + pl.col("p"))
        .when(pl.col("v") == 5).then("+86" + pl.col("p"))
        .otherwise(a + "-" + b + "-" + c)
    )
    return df.select(expr.alias(clean.name)).to_series()


def dirty_emails(rng: np.random.Generator, clean: pl.Series) -> pl.Series:
    """Pad with spaces and/or change the case of e-mail addresses."""
    n = clean.len()
    df = pl.DataFrame({"e": clean.cast(pl.String), "v": _variants(rng, n, 6)})
    parts = pl.col("e").str.split_exact("@", 1)
    local, domain = parts.struct.field("field_0"), parts.struct.field("field_1")
    capital = pl.col("e").str.slice(0, 1).str.to_uppercase() + pl.col("e").str.slice(1)
    mixed = (local.str.slice(0, 1).str.to_uppercase() + local.str.slice(1) + "@"
             + domain.str.to_uppercase())
    expr = (
        pl.when(pl.col("v") == 0).then(pl.col("e").str.to_uppercase())
        .when(pl.col("v") == 1).then(capital)
        .when(pl.col("v") == 2).then(" " + pl.col("e"))
        .when(pl.col("v") == 3).then(pl.col("e") + "  ")
        .when(pl.col("v") == 4).then(" " + capital + " ")
        .otherwise(mixed)
    )
    # Case changes do nothing to a digit (QQ numbers): fall back to upper case, which always differs.
    expr = pl.when(expr == pl.col("e")).then(pl.col("e").str.to_uppercase()).otherwise(expr)
    return df.select(expr.alias(clean.name)).to_series()


_DATETIME_FORMATS = ("%Y-%m-%d", "%Y/%-m/%-d %H:%M", "%Y/%-m/%-d", "%Y年%-m月%-d日", "%Y年%-m月%-d日 %H:%M",
                     "%Y-%m-%dT%H:%M:%S", "serial", "serial_time")
_DATE_FORMATS = ("%Y/%-m/%-d", "%Y年%-m月%-d日", "%Y/%m/%d", "serial")


def dirty_dates(rng: np.random.Generator, epoch_s: np.ndarray, with_time: bool) -> pl.Series:
    """Other ways of writing the same date (and time): slashes, Chinese, Excel serial numbers ..."""
    formats = _DATETIME_FORMATS if with_time else _DATE_FORMATS
    variant = _variants(rng, epoch_s.shape[0], len(formats))
    out = pl.Series([None] * epoch_s.shape[0], dtype=pl.String)
    for k, fmt in enumerate(formats):  # a handful of formats, each applied to its rows at once
        rows = np.flatnonzero(variant == k)
        if rows.shape[0] == 0:
            continue
        secs = epoch_s[rows]
        if fmt == "serial":
            text = excel_serial_text(secs, with_time=False)
        elif fmt == "serial_time":
            text = excel_serial_text(secs, with_time=True)
        else:
            text = pl.from_epoch(pl.Series(secs), time_unit="s").dt.strftime(fmt)
        out = out.scatter(rows, text)
    return out


def dirty_amounts(rng: np.random.Generator, cents: np.ndarray) -> pl.Series:
    """Money as text with currency symbols and thousands separators."""
    cents = cents.astype(np.int64)
    variant = _variants(rng, cents.shape[0], 5)
    # Below 1,000 a grouped number without symbol looks clean: use the full-width yuan sign instead.
    variant = np.where((variant == 4) & (cents < 100_000), 3, variant)
    out = pl.Series("amount", [None] * cents.shape[0], dtype=pl.String)
    for k in range(5):  # five formats, each applied to its rows at once
        rows = np.flatnonzero(variant == k)
        if rows.shape[0] == 0:
            continue
        part = pl.DataFrame({"c": cents[rows]})
        c = pl.col("c")
        expr = (
            ("¥" + _money_expr(c, grouped=True)) if k == 0
            else (_money_expr(c, grouped=True) + "元") if k == 1
            else ("RMB " + _money_expr(c, trim=True)) if k == 2
            else ("￥" + _money_expr(c)) if k == 3
            else _money_expr(c, grouped=True)
        )
        out = out.scatter(rows, part.select(expr).to_series())
    return out


def choose_text(rng: np.random.Generator, values: tuple[str, ...], n: int) -> pl.Series:
    """``n`` values drawn uniformly from ``values``."""
    return pl.Series(list(values), dtype=pl.String).gather(rng.integers(0, len(values), n))


def phone_email_dirt(rng: np.random.Generator, draft: Draft, phone_rate: float, email_rate: float) -> None:
    """Phones in mixed formats and e-mails with spaces / mixed case (only non-empty cells)."""
    phones = draft.frame.get_column("phone")
    rows = pick(rng, phones.is_not_null().to_numpy(), phone_rate)
    draft.replace("phone", rows, dirty_phones(rng, phones.gather(rows)), "phone_format", True)
    emails = draft.frame.get_column("email")
    rows = pick(rng, emails.is_not_null().to_numpy(), email_rate)
    draft.replace("email", rows, dirty_emails(rng, emails.gather(rows)), "email_format", True)
