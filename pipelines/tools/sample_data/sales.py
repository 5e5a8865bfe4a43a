"""Sales: the ERP's order lines, one file per calendar year.

How orders come about, in business terms:

* every buyer places a first order on its first-purchase date, then keeps ordering at its own rate
  (gamma-distributed across customers), following the seasonal rhythm (618, Double 11/12 peaks,
  Chinese New Year dip). While drifting towards churn the rate drops to about a third; after churn
  there are no more orders.
* an order has 1 + Poisson(1.5) lines (2.5 on average). Most lines are from the customer's favourite
  category; within a category best sellers dominate. Quantities shrink as prices grow and grow with the
  customer's basket size.
* status: 92% completed, 4% refunded, 4% cancelled (the first order is always completed); most orders
  go through the customer's preferred channel.
* amount = quantity x unit price - discount, where the discount is 0 for about three quarters of the
  lines and 5-20% of the gross for the rest. Unit prices go up about 3% a year.

Files: ``orders_<year>.csv`` (UTF-8, English headers, statuses completed/refunded/cancelled) for every
year but the last, and ``销售明细_<year>.csv`` (UTF-8 with byte-order mark, Windows line ends, Chinese
headers and statuses 已完成/已退款/已取消) for the last year. One English file (or the Chinese one when
it is alone) is delivered twice, as ``<name> (1).csv``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

from pipelines.tools.sample_data import dirt as d
from pipelines.tools.sample_data.catalog import Catalog
from pipelines.tools.sample_data.config import (
    ORDER_STATUS_WEIGHTS,
    ORDER_STATUSES_CN,
    ORDER_STATUSES_EN,
    SALES_CHANNEL_WEIGHTS,
    SALES_CHANNELS,
    DirtRates,
    Volumes,
)
from pipelines.tools.sample_data.customers import Population
from pipelines.tools.sample_data.timeline import SECONDS_PER_DAY, sample_event_days, sample_second_of_day
from pipelines.tools.sample_data.writers import SALES_CN, SALES_EN, CsvWriter, OutputFile, copy_file

DISCOUNT_PERCENTS = np.array([5, 8, 10, 12, 15, 20])
CHUNK_ROWS = 2_000_000  # order lines built and written at a time (bounds memory for big histories)


@dataclass(frozen=True)
class SalesHistory:
    """All order lines, as numbers (one array entry per line), sorted by order time."""

    order_epoch_s: np.ndarray  # per order
    order_day_seq: np.ndarray  # running number of the order within its day (1, 2, ...)
    order_account: np.ndarray  # account row per order
    order_status: np.ndarray  # index into ORDER_STATUSES_*
    order_channel: np.ndarray  # index into SALES_CHANNELS
    line_order: np.ndarray  # order index per line
    line_no: np.ndarray
    sku_index: np.ndarray
    quantity: np.ndarray
    unit_price_cents: np.ndarray
    discount_cents: np.ndarray
    amount_cents: np.ndarray

    def order_ids(self, orders: np.ndarray) -> pl.Series:
        """Order numbers ``SO`` + order day + running number within the day, e.g. ``SO2024082200017``."""
        day_start = self.order_epoch_s[orders] // SECONDS_PER_DAY * SECONDS_PER_DAY
        return ("SO" + pl.from_epoch(pl.Series(day_start), time_unit="s").dt.strftime("%Y%m%d")
                + pl.Series(self.order_day_seq[orders]).cast(pl.String).str.zfill(5))

    def split_at(self, cut_s: int) -> tuple[SalesHistory, SalesHistory]:
        """The orders placed up to ``cut_s`` (Unix seconds, inclusive) and those after it, each with
        its lines. Orders are sorted by time and lines by order, so both parts are slices."""
        n_orders = int(np.searchsorted(self.order_epoch_s, cut_s, side="right"))
        n_lines = int(np.searchsorted(self.line_order, n_orders, side="left"))

        def part(orders: slice, lines: slice, first_order: int) -> SalesHistory:
            return SalesHistory(
                order_epoch_s=self.order_epoch_s[orders], order_day_seq=self.order_day_seq[orders],
                order_account=self.order_account[orders], order_status=self.order_status[orders],
                order_channel=self.order_channel[orders], line_order=self.line_order[lines] - first_order,
                line_no=self.line_no[lines], sku_index=self.sku_index[lines], quantity=self.quantity[lines],
                unit_price_cents=self.unit_price_cents[lines], discount_cents=self.discount_cents[lines],
                amount_cents=self.amount_cents[lines])

        return (part(slice(0, n_orders), slice(0, n_lines), 0),
                part(slice(n_orders, None), slice(n_lines, None), n_orders))

    @property
    def line_account(self) -> np.ndarray:
        """Account row of every line."""
        return self.order_account[self.line_order]

    @property
    def line_epoch_s(self) -> np.ndarray:
        """Order time of every line."""
        return self.order_epoch_s[self.line_order]


def simulate_sales(rng: np.random.Generator, population: Population, catalog: Catalog,
                   volumes: Volumes) -> SalesHistory:
    """Simulate every order and order line of the history (vectorised over customers and orders)."""
    tl = population.timeline
    n_buy = population.customers
    first_day = population.array("signup_day")[:n_buy].astype(np.float64)
    first_s = population.accounts.get_column("first_order_s").to_numpy()[:n_buy].astype(np.int64)
    cum = tl.cumulative("orders")
    owner, tday = sample_event_days(
        rng, cum, population.array("order_rate")[:n_buy], first_day + 1.0,
        population.array("drift_day")[:n_buy], population.array("stop_day")[:n_buy],
        volumes.drift_order_factor,
    )
    extra_s = tl.epoch_seconds(np.floor(tday).astype(np.int64), sample_second_of_day(rng, owner.shape[0], "orders"))
    account = np.concatenate([np.arange(n_buy, dtype=np.int64), owner])
    epoch = np.concatenate([first_s, extra_s])
    is_first = np.concatenate([np.ones(n_buy, dtype=bool), np.zeros(owner.shape[0], dtype=bool)])
    order = np.lexsort((account, epoch))
    account, epoch, is_first = account[order], epoch[order], is_first[order]
    n_orders = account.shape[0]

    w = np.asarray(ORDER_STATUS_WEIGHTS)
    status = rng.choice(len(w), n_orders, p=w / w.sum()).astype(np.int8)
    status[is_first] = 0
    pref = population.array("pref_channel")[account]
    cw = np.asarray(SALES_CHANNEL_WEIGHTS)
    other = rng.choice(len(cw), n_orders, p=cw / cw.sum())
    channel = np.where(rng.random(n_orders) < 0.75, pref, other).astype(np.int8)

    # Running number of the order within its day (for the order numbers).
    day = epoch // SECONDS_PER_DAY
    seq = np.arange(n_orders) - np.searchsorted(day, day, side="left") + 1

    n_lines = 1 + rng.poisson(volumes.extra_lines_per_order, n_orders)
    line_order = np.repeat(np.arange(n_orders, dtype=np.int64), n_lines)
    starts = np.cumsum(n_lines) - n_lines
    line_no = np.arange(line_order.shape[0]) - starts[line_order] + 1
    n = line_order.shape[0]
    line_account = account[line_order]
    fav = population.array("fav_category")[line_account]
    random_cat = rng.choice(len(catalog.category_names), n, p=catalog.category_weights)
    category = np.where(rng.random(n) < 0.7, fav, random_cat)
    sku = catalog.sample_skus(rng, category)

    year_index = (pl.from_epoch(pl.Series(epoch), time_unit="s").dt.year().to_numpy() - tl.start.year)
    price_factor = 1.03 ** year_index[line_order]
    unit_price = np.round(catalog.list_price_cents[sku] * price_factor / 10.0).astype(np.int64) * 10
    spend = population.array("spend_mult")[line_account]
    typical_qty = np.clip(30000.0 / unit_price, 0.3, 40.0) * spend
    quantity = 1 + rng.poisson(typical_qty * 0.9)
    gross = quantity * unit_price
    has_discount = rng.random(n) < 0.25
    pct = DISCOUNT_PERCENTS[rng.integers(0, DISCOUNT_PERCENTS.shape[0], n)]
    discount = np.where(has_discount, np.round(gross * pct / 100.0).astype(np.int64), 0)
    return SalesHistory(
        order_epoch_s=epoch,
        order_day_seq=seq.astype(np.int32),
        order_account=account,
        order_status=status,
        order_channel=channel,
        line_order=line_order,
        line_no=line_no.astype(np.int16),
        sku_index=sku.astype(np.int32),
        quantity=quantity.astype(np.int32),
        unit_price_cents=unit_price,
        discount_cents=discount,
        amount_cents=gross - discount,
    )


def _name_variants(rng: np.random.Generator, population: Population, rate: float) -> pl.Series:
    """ERP names that differ from the CRM company name for ``rate`` of the buyers (null otherwise):
    ``瑞达科技（杭州）有限公司``, ``瑞达科技(杭州)有限公司`` or ``杭州瑞达科技`` for ``杭州瑞达科技有限公司``."""
    acc = population.accounts.slice(0, population.customers)
    chosen = d.pick(rng, population.customers, rate)
    variant = np.full(population.customers, -1)
    variant[chosen] = rng.integers(0, 3, chosen.shape[0])
    return acc.select(
        pl.when(pl.Series(variant) == 0).then(pl.col("brand") + pl.col("trade") + "（" + pl.col("city") + "）有限公司")
        .when(pl.Series(variant) == 1).then(pl.col("brand") + pl.col("trade") + "(" + pl.col("city") + ")有限公司")
        .when(pl.Series(variant) == 2).then(pl.col("city") + pl.col("brand") + pl.col("trade"))
        .otherwise(None)
        .alias("variant")
    ).to_series()


def write_sales(
    inbox: Path,
    population: Population,
    catalog: Catalog,
    history: SalesHistory,
    rates: DirtRates,
    rng_for: Callable[[str], np.random.Generator],
) -> tuple[list[OutputFile], list[tuple[OutputFile, pl.DataFrame]]]:
    """Write the yearly sales files with their dirt; returns the files and, per file, its dirt log."""
    tl = population.timeline
    variants = _name_variants(rng_for("sales/name_variants"), population, rates.name_variant)
    acc = population.accounts
    codes = acc.get_column("sales_customer_code")
    companies = acc.get_column("company")
    regions_of = acc.get_column("region")
    erp_names = pl.select(pl.coalesce(variants, companies.slice(0, population.customers))).to_series()
    line_year = pl.from_epoch(pl.Series(history.order_epoch_s), time_unit="s").dt.year().to_numpy()[
        history.line_order]
    files: list[OutputFile] = []
    logs: list[tuple[OutputFile, pl.DataFrame]] = []
    years = tl.calendar_years
    skus = pl.Series(catalog.sku.tolist(), dtype=pl.String)
    products = pl.Series(catalog.product_name.tolist(), dtype=pl.String)
    categories = pl.Series(list(catalog.category_names), dtype=pl.String)
    channels = pl.Series(list(SALES_CHANNELS), dtype=pl.String)
    for year in years:  # one file per calendar year, written in chunks to bound memory
        rows_of_year = np.flatnonzero(line_year == year)
        last = year == years[-1]
        layout = SALES_CN if last else SALES_EN
        statuses = pl.Series(list(ORDER_STATUSES_CN if last else ORDER_STATUSES_EN), dtype=pl.String)
        relative = f"sales/销售明细_{year}.csv" if last else f"sales/orders_{year}.csv"
        rng = rng_for(f"sales/{year}")
        writer = CsvWriter(inbox, relative, layout, "utf-8-sig" if last else "utf-8", "\r\n" if last else "\n")
        file_logs: list[pl.DataFrame] = []
        for chunk_start in range(0, rows_of_year.shape[0], CHUNK_ROWS):
            rows = rows_of_year[chunk_start:chunk_start + CHUNK_ROWS]
            order = history.line_order[rows]
            # Lines of one order are adjacent: format order-level text once per order.
            first_order = int(order[0])
            orders = np.arange(first_order, int(order[-1]) + 1)
            local = order - first_order
            account = history.order_account[order]
            epoch = history.order_epoch_s[order]
            sku = history.sku_index[rows]
            frame = pl.DataFrame(
                {
                    "order_id": history.order_ids(orders).gather(local),
                    "line_no": pl.Series(history.line_no[rows]).cast(pl.String),
                    "customer_code": codes.gather(account),
                    "customer_name": erp_names.gather(account),
                    "order_date": d.datetime_text(pl.Series(history.order_epoch_s[orders])).gather(local),
                    "sku": skus.gather(sku),
                    "product_name": products.gather(sku),
                    "category": categories.gather(catalog.category_index[sku]),
                    "quantity": pl.Series(history.quantity[rows]).cast(pl.String),
                    "unit_price": d.money_text(pl.Series(history.unit_price_cents[rows])),
                    "discount": d.money_text(pl.Series(history.discount_cents[rows])),
                    "amount": d.money_text(pl.Series(history.amount_cents[rows])),
                    "channel": channels.gather(history.order_channel[order]),
                    "region": regions_of.gather(account),
                    "status": statuses.gather(history.order_status[order]),
                }
            )
            draft = d.Draft(frame)
            _dirty_sales(rng, draft, variants.gather(account), companies.gather(account), epoch,
                         history.amount_cents[rows], history.unit_price_cents[rows], rates)
            final, log = d.add_duplicates(rng, draft, rates.duplicate_row)
            file_logs.append(log.with_columns(pl.col("position") + writer.info.rows))
            writer.write(final)
            del frame, draft, final
        info = writer.close()
        files.append(info)
        logs.append((info, pl.concat(file_logs, how="vertical") if file_logs else d.empty_log()))
    if rates.duplicate_delivery and files:
        source = files[-2] if len(files) >= 2 else files[-1]
        stem = source.path.rsplit(".", 1)[0]
        copy = copy_file(inbox, source, f"{stem} (1).csv")
        files.append(copy)
        logs.append((copy, pl.DataFrame(
            {"column": [None], "dirt_type": ["duplicate_delivery"], "recoverable": [True], "value": [None],
             "clean_value": [source.path], "position": [None]},
            schema=d.LOG_SCHEMA,
        )))
    return files, logs


def _dirty_sales(rng: np.random.Generator, draft: d.Draft, variant: pl.Series, company: pl.Series,
                 epoch: np.ndarray, amount: np.ndarray, unit_price: np.ndarray, rates: DirtRates) -> None:
    """Apply the sales dirt of one file (see :class:`~pipelines.tools.sample_data.config.DirtRates`).
    ``variant`` is the ERP name variant of each row's customer (null if none), ``company`` the CRM name."""
    variant_rows = np.flatnonzero(variant.is_not_null().to_numpy())
    # The ERP master already holds the variant (the frame was built with it): only log it.
    draft.note(variant_rows, "customer_name", "name_variant", True, variant.gather(variant_rows),
               company.gather(variant_rows))
    missing_code = d.pick(rng, draft.height, rates.missing_customer_code)
    draft.replace("customer_code", missing_code, None, "missing_customer_code", False)
    fmt_rows, bad_rows = d.pick_many(rng, draft.height, [rates.date_format, rates.bad_date])
    draft.replace("order_date", fmt_rows, d.dirty_dates(rng, epoch[fmt_rows], with_time=True), "date_format", True)
    draft.replace("order_date", bad_rows, d.choose_text(rng, d.BAD_DATES, bad_rows.shape[0]), "bad_date", False)
    fmt_rows, bad_rows = d.pick_many(rng, draft.height, [rates.amount_format, rates.bad_amount])
    draft.replace("amount", fmt_rows, d.dirty_amounts(rng, amount[fmt_rows]), "amount_format", True)
    draft.replace("amount", bad_rows, d.choose_text(rng, d.BAD_AMOUNTS, bad_rows.shape[0]), "bad_amount", False)
    fmt_rows = d.pick(rng, draft.height, rates.amount_format)
    draft.replace("unit_price", fmt_rows, d.dirty_amounts(rng, unit_price[fmt_rows]), "amount_format", True)
    for column in ("region", "channel", "category"):
        draft.replace(column, d.pick(rng, draft.height, rates.missing_optional), None, "missing_value", True)
