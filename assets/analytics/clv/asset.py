"""Customer lifetime value: BG/NBD (how many more purchases, and is the customer still active) and
Gamma-Gamma (how much per purchase), fitted by maximum likelihood on a customer summary computed in
DuckDB. The models are in ``assets/analytics/clv/model.py``."""


import json
import logging
import re
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

import duckdb
import numpy as np
import polars as pl
from dagster import AssetExecutionContext, AssetKey, AssetSpec, MaterializeResult, MetadataValue, multi_asset

from assets.common.metadata import table_metadata
from assets.common.resources import PipelineSettings, Warehouse
from assets.common.settings import shipped
from assets.common.status import DEGRADED, AssetStatus, failure_status, ok_status, record_status

if TYPE_CHECKING:
    from assets.analytics.clv.model import FitResult

TIME_UNIT = "week"
DAYS_PER_UNIT = 7.0
MONTH_IN_UNITS = 365.25 / 12 / DAYS_PER_UNIT  # one average month (30.4375 days) in weeks
HORIZON_MONTHS = 12
BGNBD_PARAMETERS = ("r", "alpha", "a", "b")
GAMMA_GAMMA_PARAMETERS = ("p", "q", "gamma")
LOG = logging.getLogger(__name__)


@dataclass(frozen=True)
class ClvSettings:
    annual_discount_rate: float = float(shipped("clv", "annual_discount_rate"))
    min_customers: int = int(shipped("clv", "min_customers"))
    min_repeat_customers: int = int(shipped("clv", "min_repeat_customers"))

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
            THEN ((p.revenue - f.revenue) / (p.purchase_days - 1))::DOUBLE ELSE 0 END AS monetary,
       f.revenue::DOUBLE AS first_spend
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


FALLBACK_PRIOR_PURCHASES = 1.0  # the fallback purchase rate counts the population rate as one purchase's worth


def fallback_purchase_rate(x: np.ndarray, big_t: np.ndarray) -> tuple[np.ndarray, float]:
    """Repeat purchases per week when BG/NBD cannot be fitted: each customer's own repeat rate,
    pulled towards the population rate (total repeat purchases ÷ total weeks as a customer) by a prior
    worth one purchase, i.e. (x + 1) ÷ (T + 1 ÷ population rate): the Gamma-Poisson model without
    drop-out. All zero when nobody has repeated or the data span one day (no rate can be measured)."""
    exposure = float(big_t.sum())
    population = float(x.sum()) / exposure if exposure > 0 else 0.0
    if population <= 0:
        return np.zeros_like(x), 0.0
    return (x + FALLBACK_PRIOR_PURCHASES) / (big_t + FALLBACK_PRIOR_PURCHASES / population), population


def fallback_spend(x: np.ndarray, zbar: np.ndarray, first_spend: np.ndarray) -> tuple[np.ndarray, float]:
    """Spend per future purchase day when Gamma-Gamma cannot be fitted: the customer's own mean over
    all their purchase days when positive, else the mean of those positive means, else 0 (refunds
    and zero-value orders never make a value negative)."""
    own = np.where(x > 0, (first_spend + x * zbar) / (x + 1.0), first_spend)
    own = np.where(np.isfinite(own), own, 0.0)
    positive = own[own > 0]
    population = float(positive.mean()) if positive.size else 0.0
    return np.where(own > 0, own, population), population


def _discounted_monthly(rate_per_unit: np.ndarray, settings: ClvSettings) -> tuple[np.ndarray, np.ndarray]:
    """Expected purchases over the 12 months and their discounted sum at a constant rate."""
    per_month = rate_per_unit * MONTH_IN_UNITS
    discount = (1.0 + settings.monthly_discount_rate) ** -np.arange(1, HORIZON_MONTHS + 1)
    return per_month * HORIZON_MONTHS, per_month * discount.sum()


def _fit_status(fit: "FitResult | None", not_fitted: str | None) -> str:
    if not_fitted:
        return not_fitted
    return "ok" if fit is not None and fit.success else f"fit failed: {fit.message if fit else 'not run'}"


def clv_predictions(summary: dict[str, np.ndarray], settings: ClvSettings) -> tuple[dict, dict[str, str], list]:
    """p_alive, expected purchases, expected spend and 12-month CLV for every customer, the fit status
    of each model and the fitted/fallback parameter rows. Every CLV is finite and ≥ 0: a model that
    cannot be fitted is replaced by its fallback (fallback_purchase_rate, fallback_spend)."""
    from assets.analytics.clv.model import (
        bgnbd_p_alive,
        discounted_purchases,
        fit_bgnbd,
        fit_gamma_gamma,
        gamma_gamma_expected_spend,
    )

    x, zbar = summary["x"], summary["zbar"]
    t_x, big_t = summary["t_x"], summary["big_t"]
    n, n_repeat = int(x.size), int((x > 0).sum())
    n_repeat_spend = int(((x > 0) & (zbar > 0)).sum())
    if n < settings.min_customers:
        bg_reason = f"not fitted: {n} buying customers < clv.min_customers = {settings.min_customers}"
    elif n_repeat < settings.min_repeat_customers:
        bg_reason = (f"not fitted: {n_repeat} repeat customers < clv.min_repeat_customers = "
                     f"{settings.min_repeat_customers}")
    elif not (big_t > 0).any():
        bg_reason = "not fitted: every customer first bought on the as-of date (no time to measure a rate)"
    else:
        bg_reason = None
    bg_fit = fit_bgnbd(x, t_x, big_t) if bg_reason is None else None
    gg_reason = None if n_repeat_spend >= max(settings.min_repeat_customers, 1) else (
        f"not fitted: {n_repeat_spend} repeat customers with spend > 0 < clv.min_repeat_customers = "
        f"{settings.min_repeat_customers}")
    gg_fit = fit_gamma_gamma(x, zbar) if gg_reason is None else None
    status = {"bg_nbd": _fit_status(bg_fit, bg_reason), "gamma_gamma": _fit_status(gg_fit, gg_reason)}

    spend, population_spend = fallback_spend(x, zbar, summary["first_spend"])
    if status["gamma_gamma"] == "ok":
        spend = gamma_gamma_expected_spend(gg_fit.params, x, zbar)
    rate, population_rate = fallback_purchase_rate(x, big_t)
    expected, discounted = _discounted_monthly(rate, settings)
    p_alive = np.full(n, np.nan)
    if status["bg_nbd"] == "ok" and n:
        bg_expected, bg_discounted = discounted_purchases(bg_fit.params, x, t_x, big_t, MONTH_IN_UNITS,
                                                          HORIZON_MONTHS, settings.monthly_discount_rate)
        good = np.isfinite(bg_expected) & np.isfinite(bg_discounted)  # a row the fit cannot score keeps its fallback
        p_alive = np.where(good, bgnbd_p_alive(bg_fit.params, x, t_x, big_t), np.nan)
        expected = np.where(good, bg_expected, expected)
        discounted = np.where(good, bg_discounted, discounted)
    clv = np.maximum(np.nan_to_num(discounted * np.maximum(spend, 0.0), nan=0.0, posinf=0.0, neginf=0.0), 0.0)
    params = (_param_rows("bg_nbd", BGNBD_PARAMETERS, bg_fit, status["bg_nbd"])
              + _param_rows("gamma_gamma", GAMMA_GAMMA_PARAMETERS, gg_fit, status["gamma_gamma"]))
    if status["bg_nbd"] != "ok":
        params.append({"model": "fallback", "parameter": "population_repeat_rate", "value": population_rate,
                       "time_unit": TIME_UNIT, "n_customers": n, "log_likelihood": None,
                       "status": "repeat purchases per week used instead of BG/NBD"})
    if status["gamma_gamma"] != "ok":
        params.append({"model": "fallback", "parameter": "population_mean_spend", "value": population_spend,
                       "time_unit": "CNY", "n_customers": n, "log_likelihood": None,
                       "status": "spend per purchase day used instead of Gamma-Gamma"})
    return ({"p_alive": p_alive, "expected_purchases": expected, "expected_spend": spend, "clv": clv},
            status, params)


_STATUS_IN_CHINESE = (
    (re.compile(r"not fitted: (\d+) buying customers < (\S+) = (\d+)"),
     r"购买客户仅 \1 位，少于 \2 = \3，未拟合"),
    (re.compile(r"not fitted: (\d+) repeat customers with spend > 0 < (\S+) = (\d+)"),
     r"金额为正的回购客户仅 \1 位，少于 \2 = \3，未拟合"),
    (re.compile(r"not fitted: (\d+) repeat customers < (\S+) = (\d+)"),
     r"回购客户仅 \1 位，少于 \2 = \3，未拟合"),
    (re.compile(r"not fitted: every customer first bought on the as-of date.*"),
     "所有客户都在截止日当天首次购买，无法估计购买频率，未拟合"),
    (re.compile(r"fit failed: parameter\(s\) ran off to 0 or infinity: (.*)"),
     r"拟合失败：参数 \1 趋于 0 或无穷大，数据无法确定该模型"),
    (re.compile(r"fit failed: (.*)", re.DOTALL), r"拟合失败（优化器信息：\1）"),
)


def status_in_chinese(status: str) -> str:
    """The Chinese wording of a model's fit status (``clv_predictions``); unknown texts unchanged."""
    for pattern, wording in _STATUS_IN_CHINESE:
        if pattern.fullmatch(status):
            return pattern.sub(wording, status)
    return status


def clv_status(status: dict[str, str], asset: str = "analytics/clv") -> AssetStatus:
    """ok when both models were fitted, else degraded with the fallbacks named, in English and Chinese."""
    if status["bg_nbd"] == "ok" and status["gamma_gamma"] == "ok":
        return ok_status(asset)
    en, zh = [], []
    if status["bg_nbd"] != "ok":
        en.append(f"BG/NBD {status['bg_nbd']}; expected purchases are each customer's own repeat rate pulled "
                  "towards the average, with no drop-out (p_alive is empty)")
        zh.append(f"BG/NBD 未能使用（{status_in_chinese(status['bg_nbd'])}）；"
                  "预计购买次数按客户自身回购频率并向平均值收缩估算，不考虑流失（p_alive 为空）")
    if status["gamma_gamma"] != "ok":
        en.append(f"Gamma-Gamma {status['gamma_gamma']}; spend per purchase is the customer's own average "
                  "(the overall average when it is not positive)")
        zh.append(f"Gamma-Gamma 未能使用（{status_in_chinese(status['gamma_gamma'])}）；每次购买金额采用客户自身平均值"
                  "（不为正时采用整体平均值）")
    return AssetStatus(asset, DEGRADED, "CLV built with fallbacks: " + ". ".join(en) + ".",
                       "客户价值使用了替代估算：" + "；".join(zh) + "。", detail=json.dumps(status, ensure_ascii=False))


CLV_SCHEMA = """customer_id VARCHAR, frequency INTEGER, recency_days INTEGER, t_days INTEGER, monetary DOUBLE,
    p_alive DOUBLE, expected_purchases_12m DOUBLE, expected_avg_order_value DOUBLE, clv_12m DOUBLE, as_of DATE"""
PARAMS_SCHEMA = """model VARCHAR, parameter VARCHAR, value DOUBLE, time_unit VARCHAR, n_customers BIGINT,
    log_likelihood DOUBLE, status VARCHAR, as_of DATE"""


def write_empty_clv_tables(conn: duckdb.DuckDBPyConnection) -> None:
    """analytics.clv and clv_model_params with their columns and no rows (after a failed run)."""
    conn.execute("CREATE SCHEMA IF NOT EXISTS analytics")
    conn.execute(f"CREATE OR REPLACE TABLE analytics.clv ({CLV_SCHEMA})")
    conn.execute(f"CREATE OR REPLACE TABLE analytics.clv_model_params ({PARAMS_SCHEMA})")


def build_clv(conn: duckdb.DuckDBPyConnection, as_of: date, settings: ClvSettings) -> dict[str, str]:
    """Rebuild analytics.clv and analytics.clv_model_params as of the given date. Returns the fit
    status per model ("ok" or why its fallback was used)."""
    build_customer_summary(conn, as_of)
    registered: list[str] = []
    writing = False
    try:
        data = conn.execute("SELECT frequency, recency_days, t_days, monetary, first_spend FROM clv_summary "
                            "ORDER BY customer_id").fetchnumpy()
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
        conn.execute("""
            CREATE OR REPLACE TABLE analytics.clv_model_params AS
            SELECT model, parameter, value, time_unit, n_customers, log_likelihood, status,
                   $as_of::DATE AS as_of
            FROM clv_params ORDER BY sort_key
        """, {"as_of": as_of})
        conn.execute("COMMIT")
    except Exception:
        if writing:
            conn.execute("ROLLBACK")
        raise
    finally:
        for name in registered:
            conn.unregister(name)
        conn.execute("DROP TABLE IF EXISTS clv_summary")
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
