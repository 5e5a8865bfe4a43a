"""Customer lifetime value: BG/NBD (how many more purchases, and is the customer still active) and
Gamma-Gamma (how much per purchase), fitted by maximum likelihood on a customer summary computed in
DuckDB. The models are in ``assets/analytics/clv_model.py``."""


from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

import duckdb
import numpy as np
import polars as pl
from dagster import AssetKey, AssetSpec, MaterializeResult, MetadataValue, multi_asset

from assets.as_of import resolve_as_of
from assets.metadata import table_metadata
from pipelines.resources import PipelineSettings, Warehouse

if TYPE_CHECKING:
    from assets.analytics.clv_model import FitResult

TIME_UNIT = "week"
DAYS_PER_UNIT = 7.0
MONTH_IN_UNITS = 365.25 / 12 / DAYS_PER_UNIT  # one average month (30.4375 days) in weeks
HORIZON_MONTHS = 12
BGNBD_PARAMETERS = ("r", "alpha", "a", "b")
GAMMA_GAMMA_PARAMETERS = ("p", "q", "gamma")


@dataclass(frozen=True)
class ClvSettings:
    annual_discount_rate: float = 0.10
    min_customers: int = 20
    min_repeat_customers: int = 10

    @property
    def monthly_discount_rate(self) -> float:
        return (1.0 + self.annual_discount_rate) ** (1.0 / 12.0) - 1.0

    @classmethod
    def from_thresholds(cls, thresholds: dict[str, Any]) -> "ClvSettings":
        section = thresholds.get("clv", {})
        defaults = cls()
        return cls(
            annual_discount_rate=float(section.get("annual_discount_rate", defaults.annual_discount_rate)),
            min_customers=int(section.get("min_customers", defaults.min_customers)),
            min_repeat_customers=int(section.get("min_repeat_customers", defaults.min_repeat_customers)),
        )


CUSTOMER_SUMMARY_SQL = """
CREATE OR REPLACE TEMP TABLE clv_summary AS
WITH days AS (
    SELECT customer_id, order_date, sum(amount) AS revenue
    FROM core.orders
    WHERE status = 'completed' AND order_date <= $as_of AND customer_id IS NOT NULL
    GROUP BY customer_id, order_date
), per_customer AS (
    SELECT customer_id, min(order_date) AS first_day, max(order_date) AS last_day,
           count(*) AS purchase_days, sum(revenue) AS revenue
    FROM days GROUP BY customer_id
)
SELECT p.customer_id,
       (p.purchase_days - 1)::INTEGER AS frequency,
       date_diff('day', p.first_day, p.last_day)::INTEGER AS recency_days,
       date_diff('day', p.first_day, $as_of::DATE)::INTEGER AS t_days,
       CASE WHEN p.purchase_days > 1
            THEN ((p.revenue - f.revenue) / (p.purchase_days - 1))::DOUBLE ELSE 0 END AS monetary
FROM per_customer p
JOIN days f ON f.customer_id = p.customer_id AND f.order_date = p.first_day
ORDER BY p.customer_id
"""


def build_customer_summary(conn: duckdb.DuckDBPyConnection, as_of: date) -> None:
    """Temp table clv_summary: one row per customer with a completed order on or before as-of."""
    conn.execute(CUSTOMER_SUMMARY_SQL, {"as_of": as_of})


def _param_rows(model: str, names: tuple[str, ...], fit: "FitResult | None", status: str) -> list[dict]:
    return [{
        "model": model, "parameter": name,
        "value": fit.params.get(name) if fit is not None and fit.success else None,
        "time_unit": TIME_UNIT, "n_customers": fit.n_customers if fit is not None else 0,
        "log_likelihood": fit.log_likelihood if fit is not None and fit.success else None,
        "status": status,
    } for name in names]


def build_clv(conn: duckdb.DuckDBPyConnection, as_of: date, settings: ClvSettings) -> dict[str, str]:
    """Rebuild analytics.clv and analytics.clv_model_params as of the given date. Returns the fit
    status per model ("ok" or why there are no predictions)."""
    # SciPy's optimiser takes ~0.4 s to import: load it when a fit runs, not when the code location loads.
    from assets.analytics.clv_model import discounted_clv, fit_bgnbd, fit_gamma_gamma, gamma_gamma_expected_spend

    build_customer_summary(conn, as_of)
    data = conn.execute("SELECT frequency, recency_days, t_days, monetary FROM clv_summary "
                        "ORDER BY customer_id").fetchnumpy()
    x = np.asarray(data["frequency"], dtype=float)
    t_x = np.asarray(data["recency_days"], dtype=float) / DAYS_PER_UNIT
    big_t = np.asarray(data["t_days"], dtype=float) / DAYS_PER_UNIT
    zbar = np.asarray(data["monetary"], dtype=float)
    n, n_repeat = int(x.size), int((x > 0).sum())
    n_repeat_spend = int(((x > 0) & (zbar > 0)).sum())

    bg_fit: FitResult | None = None
    gg_fit: FitResult | None = None
    if n < settings.min_customers:
        bg_status = f"not fitted: {n} buying customers < clv.min_customers = {settings.min_customers}"
    elif n_repeat < settings.min_repeat_customers:
        bg_status = (f"not fitted: {n_repeat} repeat customers < clv.min_repeat_customers = "
                     f"{settings.min_repeat_customers}")
    else:
        bg_fit = fit_bgnbd(x, t_x, big_t)
        bg_status = "ok" if bg_fit.success else f"fit failed: {bg_fit.message}"
    if n_repeat_spend < max(settings.min_repeat_customers, 1):
        gg_status = (f"not fitted: {n_repeat_spend} repeat customers with spend < "
                     f"clv.min_repeat_customers = {settings.min_repeat_customers}")
    else:
        gg_fit = fit_gamma_gamma(x, zbar)
        gg_status = "ok" if gg_fit.success else f"fit failed: {gg_fit.message}"

    nan = np.full(n, np.nan)
    predictions = {"p_alive": nan, "expected_purchases": nan, "expected_spend": nan, "clv": nan}
    if gg_fit is not None and gg_fit.success:
        predictions["expected_spend"] = gamma_gamma_expected_spend(gg_fit.params, x, zbar)
    if bg_fit is not None and bg_fit.success and n:
        predictions = discounted_clv(
            bg_fit.params, gg_fit.params if gg_fit is not None and gg_fit.success else None,
            x, t_x, big_t, zbar, MONTH_IN_UNITS, HORIZON_MONTHS, settings.monthly_discount_rate)
    frame = pl.DataFrame({
        "rn": np.arange(n, dtype=np.int64),
        "p_alive": predictions["p_alive"],
        "expected_purchases_12m": predictions["expected_purchases"],
        "expected_avg_order_value": predictions["expected_spend"],
        "clv_12m": predictions["clv"],
    }, schema={"rn": pl.Int64, "p_alive": pl.Float64, "expected_purchases_12m": pl.Float64,
               "expected_avg_order_value": pl.Float64, "clv_12m": pl.Float64}, nan_to_null=True)
    conn.register("clv_predictions", frame)
    try:
        conn.execute("""
            CREATE OR REPLACE TABLE analytics.clv AS
            WITH s AS (SELECT *, (row_number() OVER (ORDER BY customer_id) - 1)::BIGINT AS rn FROM clv_summary)
            SELECT s.customer_id, s.frequency, s.recency_days, s.t_days, round(s.monetary, 2) AS monetary,
                   round(p.p_alive, 6) AS p_alive,
                   round(p.expected_purchases_12m, 6) AS expected_purchases_12m,
                   round(p.expected_avg_order_value, 2) AS expected_avg_order_value,
                   round(p.clv_12m, 2) AS clv_12m,
                   $as_of::DATE AS as_of
            FROM s JOIN clv_predictions p USING (rn)
            ORDER BY s.customer_id
        """, {"as_of": as_of})
        rows = (_param_rows("bg_nbd", BGNBD_PARAMETERS, bg_fit, bg_status)
                + _param_rows("gamma_gamma", GAMMA_GAMMA_PARAMETERS, gg_fit, gg_status)
                + [{"model": "discount", "parameter": "annual_discount_rate",
                    "value": settings.annual_discount_rate, "time_unit": "year", "n_customers": n,
                    "log_likelihood": None, "status": "setting clv.annual_discount_rate"},
                   {"model": "discount", "parameter": "monthly_discount_rate",
                    "value": settings.monthly_discount_rate, "time_unit": "month", "n_customers": n,
                    "log_likelihood": None, "status": "(1 + annual)^(1/12) - 1"}])
        for i, row in enumerate(rows):
            row["sort_key"] = i
        params = pl.DataFrame(rows, schema={
            "model": pl.Utf8, "parameter": pl.Utf8, "value": pl.Float64, "time_unit": pl.Utf8,
            "n_customers": pl.Int64, "log_likelihood": pl.Float64, "status": pl.Utf8, "sort_key": pl.Int64})
        conn.register("clv_params", params)
        conn.execute("""
            CREATE OR REPLACE TABLE analytics.clv_model_params AS
            SELECT model, parameter, value, time_unit, n_customers, log_likelihood, status,
                   $as_of::DATE AS as_of
            FROM clv_params ORDER BY sort_key
        """, {"as_of": as_of})
    finally:
        conn.unregister("clv_predictions")
        conn.unregister("clv_params")
        conn.execute("DROP TABLE IF EXISTS clv_summary")
    return {"bg_nbd": bg_status, "gamma_gamma": gg_status}


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
customers, or when a fit fails, the prediction columns are empty and clv_model_params says why.
p_alive and expected_purchases_12m are rounded to 6 decimals, money to 2.""",
        ),
        AssetSpec(
            key=["analytics", "clv_model_params"], group_name="analytics", kinds={"duckdb", "scipy"},
            deps=[AssetKey(["core", "orders"])],
            description="""The fitted CLV model parameters: one row per parameter.

- model: bg_nbd (purchase counts and drop-out: r, alpha = Gamma distribution of purchase rates per
  week; a, b = Beta distribution of the drop-out probability after each purchase), gamma_gamma (spend
  per purchase: p, q, gamma) or discount (annual_discount_rate from `clv.annual_discount_rate` and the
  monthly rate (1 + annual)^(1/12) − 1 used for clv_12m).
- parameter, value: the maximum-likelihood estimate (empty when the model was not fitted).
- time_unit: week for the model parameters (alpha is in weeks; frequency per week), year or month for
  the discount rates.
- n_customers: customers the model was fitted on (all buying customers for BG/NBD; those with
  frequency > 0 and monetary > 0 for Gamma-Gamma).
- log_likelihood: the maximised log-likelihood of the model (same on each of its rows).
- status: ok, or why the model was not fitted (too few customers per `clv.min_customers` /
  `clv.min_repeat_customers`, or the optimiser failed); predictions in analytics.clv are then empty.
- as_of: the analysis date.""",
        ),
    ],
)
def clv_assets(warehouse: Warehouse, settings: PipelineSettings):
    """Fit BG/NBD and Gamma-Gamma on the customer summary and write analytics.clv and
    analytics.clv_model_params."""
    with warehouse.connect() as conn:
        as_of = resolve_as_of(conn, settings.as_of_date())
        clv_settings = ClvSettings.from_thresholds(settings.thresholds())
        status = build_clv(conn, as_of, clv_settings)
        extra = {"as_of": MetadataValue.text(as_of.isoformat()),
                 "bg_nbd_status": MetadataValue.text(status["bg_nbd"]),
                 "gamma_gamma_status": MetadataValue.text(status["gamma_gamma"])}
        yield MaterializeResult(asset_key=AssetKey(["analytics", "clv"]),
                                metadata=table_metadata(conn, "analytics.clv", **extra))
        yield MaterializeResult(asset_key=AssetKey(["analytics", "clv_model_params"]),
                                metadata=table_metadata(conn, "analytics.clv_model_params", **extra))


CLV_ASSETS = [clv_assets]
