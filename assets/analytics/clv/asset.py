"""Customer lifetime value: BG/NBD (how many more purchases, and is the customer still active) and
Gamma-Gamma (how much per purchase), fitted by maximum likelihood on a customer summary computed in
DuckDB. The models are in ``assets/analytics/clv/model.py``, the predictions with their fallbacks in
``logic.py``, the settings in ``settings.py`` and the SQL in ``sql/``."""


import logging
from datetime import date

import duckdb
import numpy as np
import polars as pl
from dagster import AssetExecutionContext, AssetKey, AssetSpec, MaterializeResult, MetadataValue, multi_asset

from assets.analytics.clv.logic import DAYS_PER_UNIT, clv_predictions, clv_status
from assets.analytics.clv.settings import ClvSettings
from assets.common.metadata import table_metadata
from assets.common.resources import PipelineSettings, Warehouse
from assets.common.sql import SqlFolder
from assets.common.status import AssetStatus, failure_status, record_status

LOG = logging.getLogger(__name__)
SQL = SqlFolder(__file__)


def build_customer_summary(conn: duckdb.DuckDBPyConnection, as_of: date) -> None:
    """Temp table clv_summary: one row per customer with a completed order on or before as-of."""
    SQL.run(conn, "clv_summary", as_of=as_of)


def drop_customer_summary(conn: duckdb.DuckDBPyConnection) -> None:
    """Drop the temp table clv_summary (when it exists)."""
    SQL.run(conn, "drop_clv_summary")


def write_empty_clv_tables(conn: duckdb.DuckDBPyConnection) -> None:
    """analytics.clv and clv_model_params with their columns and no rows (after a failed run)."""
    SQL.run(conn, "empty_clv_tables")


def build_clv(conn: duckdb.DuckDBPyConnection, as_of: date, settings: ClvSettings) -> dict[str, str]:
    """Rebuild analytics.clv and analytics.clv_model_params as of the given date. Returns the fit
    status per model ("ok" or why its fallback was used)."""
    build_customer_summary(conn, as_of)
    registered: list[str] = []
    writing = False
    try:
        data = SQL.run(conn, "clv_summary_rows").fetchnumpy()
        summary = {"x": np.asarray(data["frequency"], dtype=float),
                   "t_x": np.asarray(data["recency_days"], dtype=float) / DAYS_PER_UNIT,
                   "big_t": np.asarray(data["t_days"], dtype=float) / DAYS_PER_UNIT,
                   "zbar": np.asarray(data["monetary"], dtype=float),
                   "first_spend": np.asarray(data["first_spend"], dtype=float)}
        predictions, status, rows = clv_predictions(summary, settings)
        n = int(summary["x"].size)
        frame = pl.DataFrame({
            "rn": np.arange(n, dtype=np.int64),
            "p_alive": predictions["p_alive"],
            "expected_purchases_12m": predictions["expected_purchases"],
            "expected_avg_order_value": predictions["expected_spend"],
            "clv_12m": predictions["clv"],
        }, schema={"rn": pl.Int64, "p_alive": pl.Float64, "expected_purchases_12m": pl.Float64,
                   "expected_avg_order_value": pl.Float64, "clv_12m": pl.Float64}, nan_to_null=True)
        rows += [{"model": "discount", "parameter": "annual_discount_rate", "value": settings.annual_discount_rate,
                  "time_unit": "year", "n_customers": n, "log_likelihood": None,
                  "status": "setting clv.annual_discount_rate"},
                 {"model": "discount", "parameter": "monthly_discount_rate", "value": settings.monthly_discount_rate,
                  "time_unit": "month", "n_customers": n, "log_likelihood": None,
                  "status": "(1 + annual)^(1/12) - 1"}]
        params = pl.DataFrame([{**row, "sort_key": i} for i, row in enumerate(rows)], schema={
            "model": pl.Utf8, "parameter": pl.Utf8, "value": pl.Float64, "time_unit": pl.Utf8,
            "n_customers": pl.Int64, "log_likelihood": pl.Float64, "status": pl.Utf8, "sort_key": pl.Int64},
            nan_to_null=True)
        for name, table in (("clv_predictions", frame), ("clv_params", params)):
            conn.register(name, table)
            registered.append(name)
        conn.execute("BEGIN TRANSACTION")
        writing = True
        SQL.run(conn, "clv_tables", as_of=as_of)
        conn.execute("COMMIT")
    except Exception:
        if writing:
            conn.execute("ROLLBACK")
        raise
    finally:
        for name in registered:
            conn.unregister(name)
        drop_customer_summary(conn)
    return status


def run_clv(conn: duckdb.DuckDBPyConnection, as_of: date, settings: ClvSettings,
            log: logging.Logger | None = None) -> tuple[dict[str, str], list[AssetStatus]]:
    """build_clv with the outcome recorded in quality.asset_status for both tables; an unexpected
    error leaves both tables empty, records a failed status and is logged with its traceback."""
    try:
        status = build_clv(conn, as_of, settings)
        statuses = [clv_status(status, f"analytics/{t}") for t in ("clv", "clv_model_params")]
    except Exception as error:  # contained on purpose: churn, key accounts and reports must still run
        (log or LOG).error("CLV failed; writing empty CLV tables", exc_info=True)
        status = {"bg_nbd": "failed", "gamma_gamma": "failed"}
        statuses = [failure_status(f"analytics/{t}", error) for t in ("clv", "clv_model_params")]
        write_empty_clv_tables(conn)
    for asset_status in statuses:
        record_status(conn, asset_status, as_of)
    return status, statuses


@multi_asset(
    specs=[
        AssetSpec(
            key=["analytics", "clv"], group_name="analytics", kinds={"duckdb", "scipy"},
            deps=[AssetKey(["core", "orders"])],
            description="""One row per customer with at least one completed order on or before the as-of
date: the purchase summary the models are fitted on and each customer's predicted value for the next
12 months. Prospects who never bought are not in this table. Time is measured in purchase days:
several completed orders on one day count as one purchase; refunded and cancelled orders never count.

- frequency: repeat purchases = distinct days with a completed order − 1 (0 = bought on one day only).
- recency_days: days from the first to the last purchase day (0 when frequency = 0).
- t_days: days from the first purchase day to the as-of date (the customer's age).
- monetary: mean revenue (CNY) of the repeat purchase days = (revenue − revenue of the first purchase
  day) ÷ frequency; 0 when frequency = 0.
- p_alive: probability (0–1) that the customer is still active (BG/NBD model, Fader, Hardie & Lee
  2005); exactly 1 for customers who bought on one day only (the model's assumption).
- expected_purchases_12m: expected purchase days in the 12 months (365.25 days) after the as-of date
  (BG/NBD conditional expectation, time measured in weeks = days ÷ 7).
- expected_avg_order_value: expected revenue per future purchase day (Gamma-Gamma model): a weighted
  mean of the population mean p·γ/(q − 1) and the customer's own monetary, p·(γ + frequency·monetary)
  ÷ (p·frequency + q − 1); the population mean for frequency 0.
- clv_12m: discounted 12-month value = Σ over months m = 1..12 of (expected purchases in month m) ×
  expected_avg_order_value ÷ (1 + monthly rate)^m, months of 30.4375 days, monthly rate = (1 +
  `clv.annual_discount_rate`)^(1/12) − 1 (default 0.10 a year = 0.797% a month).
- as_of: the analysis date.

The models are fitted on all customers in this table (Gamma-Gamma on those with frequency > 0 and
monetary > 0); the fitted parameters are in analytics.clv_model_params. With fewer than
`clv.min_customers` (20) buying customers or fewer than `clv.min_repeat_customers` (10) repeat
customers, or when a fit fails, a fallback replaces the model and clv_model_params and
quality.asset_status (degraded) say why: for BG/NBD, expected purchases = the customer's repeat
purchases per week pulled towards the population's by a prior worth one purchase, (frequency + 1) ÷
(weeks as a customer + 1 ÷ population rate), with no drop-out, and p_alive empty; for Gamma-Gamma,
the customer's own mean spend per purchase day (the population mean when not positive). clv_12m is
always finite and ≥ 0 (0 when no purchase rate can be measured, e.g. one day of data).
p_alive and expected_purchases_12m are rounded to 6 decimals, money to 2.""",
        ),
        AssetSpec(
            key=["analytics", "clv_model_params"], group_name="analytics", kinds={"duckdb", "scipy"},
            deps=[AssetKey(["core", "orders"])],
            description="""The fitted CLV model parameters: one row per parameter.

- model: bg_nbd (purchase counts and drop-out: r, alpha = Gamma distribution of purchase rates per
  week; a, b = Beta distribution of the drop-out probability after each purchase), gamma_gamma (spend
  per purchase: p, q, gamma), fallback (population_repeat_rate per week / population_mean_spend, when
  a model could not be fitted) or discount (annual_discount_rate from `clv.annual_discount_rate` and
  the monthly rate (1 + annual)^(1/12) − 1 used for clv_12m).
- parameter, value: the maximum-likelihood estimate (empty when the model was not fitted).
- time_unit: week for the model parameters (alpha is in weeks; frequency per week), year or month for
  the discount rates.
- n_customers: customers the model was fitted on (all buying customers for BG/NBD; those with
  frequency > 0 and monetary > 0 for Gamma-Gamma).
- log_likelihood: the maximised log-likelihood of the model (same on each of its rows).
- status: ok, or why the model was not fitted (too few customers per `clv.min_customers` /
  `clv.min_repeat_customers`, or the optimiser failed); analytics.clv then uses the fallback.
- as_of: the analysis date.""",
        ),
    ],
)
def clv_assets(context: AssetExecutionContext, warehouse: Warehouse, settings: PipelineSettings):
    """Fit BG/NBD and Gamma-Gamma on the customer summary (fallbacks when they cannot be fitted) and
    write analytics.clv and analytics.clv_model_params; the outcome goes to quality.asset_status."""
    with warehouse.connect() as conn:
        as_of = settings.run_as_of(conn)
        clv_settings = ClvSettings.from_thresholds(settings.rules())
        status, statuses = run_clv(conn, as_of, clv_settings, context.log)
        extra = {"as_of": MetadataValue.text(as_of.isoformat()),
                 "bg_nbd_status": MetadataValue.text(status["bg_nbd"]),
                 "gamma_gamma_status": MetadataValue.text(status["gamma_gamma"]),
                 "status": MetadataValue.text(statuses[0].status),
                 "status_message": MetadataValue.text(statuses[0].message_en),
                 "status_message_zh": MetadataValue.text(statuses[0].message_zh)}
        yield MaterializeResult(asset_key=AssetKey(["analytics", "clv"]),
                                metadata=table_metadata(conn, "analytics.clv", **extra))
        yield MaterializeResult(asset_key=AssetKey(["analytics", "clv_model_params"]),
                                metadata=table_metadata(conn, "analytics.clv_model_params", **extra))


CLV_ASSETS = [clv_assets]
