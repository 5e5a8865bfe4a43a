"""The ground truth: what the generator knows and the pipeline has to rediscover. Written to a
folder outside the inbox as Parquet files plus ``manifest.json``.

* ``customers.parquet``: one row per simulated account (buyers and prospects) with the true
  identifiers in every system, latent first purchase / drift / churn dates and value weight.
* ``identity.parquet``: for every identifying key found in the exports (sales customer code, CRM
  account id, ticket id, NPS answer id, lower-case e-mail address of the e-mail events) the true
  customer id (null for newsletter addresses nobody in the CRM owns).
* ``dirt.parquet``: every dirty cell or row injected, with the row number a spreadsheet user sees
  (header = row 1, first data row = row 2; for workbooks the row of the named sheet).
* ``manifest.json``: arguments, dirt rates, and every file with its kind, encoding and row count.
* ``future_orders.parquet`` (only when the exports stop at an observation date): every order placed
  after that date, the hidden future a prediction can be judged on.
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import numpy as np
import polars as pl

from pipelines.tools.sample_data.config import ORDER_STATUSES_EN
from pipelines.tools.sample_data.customers import Population
from pipelines.tools.sample_data.sales import SalesHistory
from pipelines.tools.sample_data.writers import OutputFile

DIRT_COLUMNS: tuple[str, ...] = ("file", "sheet", "row", "kind", "column", "dirt_type", "recoverable", "value",
                                 "clean_value")
IDENTITY_SCHEMA: dict[str, pl.DataType] = {"kind": pl.String(), "source_key": pl.String(),
                                           "customer_id": pl.Int64()}


def _day_to_date(population: Population, day: np.ndarray) -> pl.Series:
    """Fractional days from the history start as dates (null when infinite / not happening)."""
    finite = np.isfinite(day)
    whole = np.where(finite, np.floor(np.where(finite, day, 0.0)), 0).astype(np.int64)
    dates = pl.Series(whole + population.timeline.epoch_day0, dtype=pl.Int32).cast(pl.Date)
    return pl.select(pl.when(pl.Series(finite)).then(dates)).to_series()


def customers_truth(population: Population) -> pl.DataFrame:
    """The ``customers.parquet`` table."""
    acc = population.accounts
    first = pl.from_epoch(acc.get_column("first_order_s"), time_unit="s").dt.date()
    return pl.DataFrame(
        {
            "customer_id": acc.get_column("customer_id"),
            "sales_customer_code": acc.get_column("sales_customer_code"),
            "crm_account_id": acc.get_column("crm_account_id"),
            "phone_e164": "+86" + acc.get_column("phone"),
            "email": acc.get_column("email"),
            "contact_name": acc.get_column("contact_name"),
            "company": acc.get_column("company"),
            "is_prospect": acc.get_column("is_prospect"),
            "first_purchase_date": first,
            "churn_date": _day_to_date(population, population.array("churn_day")),
            "drift_start": _day_to_date(population, population.array("drift_day")),
            "value_weight": acc.get_column("value_weight"),
            "industry": acc.get_column("industry"),
            "company_size": acc.get_column("company_size"),
            "region": acc.get_column("region"),
            "owner": acc.get_column("owner"),
            "crm_has_sales_code": acc.get_column("crm_has_code"),
            "crm_has_phone": acc.get_column("crm_has_phone"),
            "crm_has_email": acc.get_column("crm_has_email"),
            "on_mailing_list": acc.get_column("on_list"),
        }
    )


def future_orders_truth(population: Population, future: SalesHistory) -> pl.DataFrame:
    """The ``future_orders.parquet`` table: one row per order after the observation date with the
    true customer, the ERP customer code, the order date, status (completed, refunded, cancelled)
    and amount (yuan, sum of the lines), in time order."""
    n = future.order_account.shape[0]
    acc = population.accounts
    cents = np.bincount(future.line_order, weights=future.amount_cents, minlength=n)
    return pl.DataFrame({
        "customer_id": acc.get_column("customer_id").gather(future.order_account),
        "sales_customer_code": acc.get_column("sales_customer_code").gather(future.order_account),
        "order_id": future.order_ids(np.arange(n)),
        "order_date": pl.from_epoch(pl.Series(future.order_epoch_s, dtype=pl.Int64), time_unit="s").dt.date(),
        "status": pl.Series(list(ORDER_STATUSES_EN), dtype=pl.String).gather(future.order_status),
        "amount": pl.Series(np.round(cents) / 100.0, dtype=pl.Float64),
    })


def identity_part(kind: str, keys: pl.Series, customer_row: np.ndarray, population: Population) -> pl.DataFrame:
    """Identity rows for one kind: ``customer_row`` is the account row (or -1 for nobody)."""
    ids = population.array("customer_id")
    known = customer_row >= 0
    customer = np.where(known, ids[np.where(known, customer_row, 0)], 0)
    return pl.DataFrame(
        {
            "kind": pl.Series([kind] * keys.len(), dtype=pl.String),
            "source_key": keys.cast(pl.String),
            "customer_id": pl.select(pl.when(pl.Series(known)).then(pl.Series(customer))).to_series(),
        },
        schema=IDENTITY_SCHEMA,
    )


def dirt_truth(logs: list[tuple[OutputFile, pl.DataFrame]], max_rows_per_sheet: int) -> pl.DataFrame:
    """Combine the per-file dirt logs into ``dirt.parquet`` (row numbers as a spreadsheet shows them)."""
    parts: list[pl.DataFrame] = []
    for info, log in logs:
        position = log.get_column("position")
        if info.encoding == "xlsx":
            names = list(info.sheets)
            pos = position.to_numpy()
            sheet_no = pos // max_rows_per_sheet
            sheet = pl.Series(names, dtype=pl.String).gather(sheet_no)
            row = pl.Series(pos % max_rows_per_sheet + 2)
        else:
            sheet = pl.Series([None] * log.height, dtype=pl.String)
            row = position + 2
        parts.append(
            log.with_columns(
                pl.lit(info.path, dtype=pl.String).alias("file"),
                sheet.alias("sheet"),
                row.cast(pl.Int64).alias("row"),
                pl.lit(info.kind, dtype=pl.String).alias("kind"),
            ).select(DIRT_COLUMNS)
        )
    if not parts:
        return pl.DataFrame(schema={"file": pl.String, "sheet": pl.String, "row": pl.Int64, "kind": pl.String,
                                    "column": pl.String, "dirt_type": pl.String, "recoverable": pl.Boolean,
                                    "value": pl.String, "clean_value": pl.String})
    out = pl.concat(parts, how="vertical")
    return out.sort(["file", "sheet", "row", "column", "dirt_type"], nulls_last=False, maintain_order=True)


def write_manifest(path: Path, manifest: dict[str, object]) -> None:
    """Write ``manifest.json`` deterministically (sorted keys, no timestamps)."""
    path.write_text(json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True, default=str) + "\n",
                    encoding="utf-8")


def history_dates(population: Population) -> dict[str, str]:
    """First and last day of the history, as ISO dates."""
    tl = population.timeline
    return {"start": tl.start.isoformat(), "end": tl.end.isoformat(),
            "days": str((tl.end - tl.start + timedelta(days=1)).days)}
