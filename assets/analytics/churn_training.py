"""The churn backtest, model choice and scoring, as one plain function on a DuckDB connection.

Three dates, H = ``churn.horizon_days``:

- backtest training cutoff c0 = as-of − 2H: candidates learn from features at c0 and what happened
  in (c0, c0 + H];
- backtest test cutoff c1 = as-of − H: the candidates trained at c0 score the customers at c1 and are
  judged on what happened in (c1, as-of] — a window none of them saw;
- the winner is re-trained on the rows at c1 (the newest complete window) and scores every customer
  at the as-of date.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

import duckdb
import numpy as np
import polars as pl

from assets.analytics.churn_features import (
    ChurnSettings,
    available_groups,
    bgnbd_forecast,
    build_features,
    feature_columns,
)
from assets.analytics.churn_metrics import better, calibration_by_decile, churn_metrics
from assets.analytics.churn_models import CANDIDATES, FittedChurnModel, fit_candidate, training_sample
from assets.analytics.churn_reasons import top_reasons


@dataclass(frozen=True)
class ChurnWindows:
    """The backtest and training dates derived from the as-of date and the horizon."""

    backtest_train_cutoff: date
    backtest_test_cutoff: date
    as_of: date

    @classmethod
    def for_as_of(cls, as_of: date, horizon_days: int) -> ChurnWindows:
        return cls(as_of - timedelta(days=2 * horizon_days), as_of - timedelta(days=horizon_days), as_of)


@dataclass
class ChurnRun:
    """Everything one run produces: metrics per candidate, the shipped model, scores, diagnostics."""

    windows: ChurnWindows
    status: str
    features: list[str] = field(default_factory=list)
    metrics: list[dict] = field(default_factory=list)
    shipped: FittedChurnModel | None = None
    scores: pl.DataFrame | None = None
    calibration: list[dict] = field(default_factory=list)
    purchase_forecast: list[dict] = field(default_factory=list)


def _enough(frame: pl.DataFrame, settings: ChurnSettings) -> str | None:
    """Why a labelled frame is too small to learn from (None when it is fine)."""
    churners = int(frame["churned"].sum()) if frame.height else 0
    stayers = frame.height - churners
    if frame.height < settings.min_training_customers:
        return f"{frame.height} customers < churn.min_training_customers = {settings.min_training_customers}"
    if min(churners, stayers) < settings.min_churners:
        return (f"{churners} churners and {stayers} returning customers: each must be ≥ "
                f"churn.min_churners = {settings.min_churners}")
    return None


def select_model(metrics: list[dict], metric: str) -> str | None:
    """The candidate with the best backtest value of the metric; ties go to the earlier (simpler)
    candidate in CANDIDATES order, so a baseline ships unless a model beats it."""
    best: tuple[str, float] | None = None
    for name in CANDIDATES:
        values = [m["value"] for m in metrics if m["model"] == name and m["metric"] == metric]
        if not values:
            continue
        if best is None or better(metric, values[0], best[1]):
            best = (name, values[0])
    return best[0] if best else None


def early_warnings(frame: pl.DataFrame, settings: ChurnSettings) -> pl.DataFrame:
    """customer_id and the three early-warning flags (null when the source is missing):
    interaction_drop, spend_drop, complaint_spike."""
    def flag(columns: tuple[str, ...], expr: pl.Expr) -> pl.Expr:
        return expr if all(c in frame.columns for c in columns) else pl.lit(None, dtype=pl.Boolean)

    keep = 1.0 - settings.interaction_drop_share
    return frame.select(
        "customer_id",
        flag(("interactions_recent", "interactions_previous"),
             (pl.col("interactions_previous") >= settings.interaction_drop_min_previous)
             & (pl.col("interactions_recent") <= keep * pl.col("interactions_previous"))).alias("interaction_drop"),
        flag(("spend_recent", "spend_previous"),
             (pl.col("spend_previous") > 0)
             & (pl.col("spend_recent") <= (1.0 - settings.spend_drop_share) * pl.col("spend_previous")))
        .alias("spend_drop"),
        flag(("complaints_recent", "complaints_previous"),
             (pl.col("complaints_recent") >= settings.complaint_spike_min)
             & (pl.col("complaints_recent") >= 2 * pl.col("complaints_previous"))).alias("complaint_spike"),
    )


def risk_tier(probability: pl.Expr, settings: ChurnSettings) -> pl.Expr:
    return (pl.when(probability >= settings.risk_high).then(pl.lit("high"))
            .when(probability >= settings.risk_medium).then(pl.lit("medium"))
            .otherwise(pl.lit("low")))


def score_customers(model: FittedChurnModel, frame: pl.DataFrame, settings: ChurnSettings) -> pl.DataFrame:
    """Probability, risk tier, reasons (medium and high risk only) and early warnings per customer."""
    probability = np.round(model.predict(frame), 6)
    scored = frame.select("customer_id", "days_since_last_purchase").with_columns(
        pl.Series("churn_probability", probability, dtype=pl.Float64))
    scored = scored.with_columns(risk_tier(pl.col("churn_probability"), settings).alias("risk_tier"))
    at_risk = scored["churn_probability"] >= settings.risk_medium
    reasons = top_reasons(model, frame.filter(at_risk), settings.trend_days, settings.reason_min_contribution)
    return (scored.join(reasons, on="customer_id", how="left")
            .join(early_warnings(frame, settings), on="customer_id", how="left")
            .sort("customer_id"))


def purchase_forecast_accuracy(conn: duckdb.DuckDBPyConnection, forecast: pl.DataFrame | None,
                               windows: ChurnWindows) -> list[dict]:
    """BG/NBD expected purchase days in (c1, as-of] (model fitted on data up to c1) against the
    purchase days that happened, per past repeat-purchase frequency 0..6, 7+, and in total."""
    if forecast is None or forecast.height == 0:
        return []
    actual = conn.sql("""
        SELECT customer_id, count(DISTINCT order_date) AS actual_purchases FROM core.orders
        WHERE status = 'completed' AND customer_id IS NOT NULL AND order_date > $c1 AND order_date <= $as_of
        GROUP BY customer_id""", params={"c1": windows.backtest_test_cutoff, "as_of": windows.as_of}).pl()
    joined = forecast.join(actual, on="customer_id", how="left").with_columns(
        pl.col("actual_purchases").fill_null(0),
        pl.when(pl.col("frequency") >= 7).then(7).otherwise(pl.col("frequency")).alias("bucket_order"))
    grouped = joined.group_by("bucket_order").agg(
        pl.len().alias("customers"), pl.col("bgnbd_expected_purchases").sum().alias("predicted_purchases"),
        pl.col("actual_purchases").sum().alias("actual_purchases")).sort("bucket_order")
    rows = [{"frequency_bucket": "7+" if r["bucket_order"] == 7 else str(r["bucket_order"]), **r}
            for r in grouped.to_dicts()]
    rows.append({"frequency_bucket": "all", "bucket_order": 99, "customers": joined.height,
                 "predicted_purchases": float(joined["bgnbd_expected_purchases"].sum()),
                 "actual_purchases": int(joined["actual_purchases"].sum())})
    return rows


def run_churn(conn: duckdb.DuckDBPyConnection, as_of: date, settings: ChurnSettings) -> ChurnRun:
    """Backtest every candidate, ship the best, score every customer at the as-of date."""
    windows = ChurnWindows.for_as_of(as_of, settings.horizon_days)
    groups = available_groups(conn, windows.backtest_train_cutoff)
    forecast_c1 = bgnbd_forecast(conn, windows.backtest_test_cutoff, settings.horizon_days)
    frames = {
        "train": build_features(conn, windows.backtest_train_cutoff, settings, True, groups),
        "test": build_features(conn, windows.backtest_test_cutoff, settings, True, groups, forecast_c1),
        "score": build_features(conn, as_of, settings, False, groups),
    }
    features = [f for f in feature_columns(frames["train"])
                if all(f in frame.columns for frame in frames.values())]
    run = ChurnRun(windows=windows, status="ok", features=features)
    run.purchase_forecast = purchase_forecast_accuracy(conn, forecast_c1, windows)
    for name in ("train", "test"):
        problem = _enough(frames[name], settings)
        if problem:
            run.status = f"not trained: backtest {name} rows at {getattr(windows, f'backtest_{name}_cutoff')}: " \
                         f"{problem}"
            return run

    train = training_sample(frames["train"], settings.max_training_rows, settings.seed)
    test = frames["test"]
    y_test = test["churned"].to_numpy()
    tie_break = np.arange(test.height)  # rows are sorted by customer_id
    backtest_predictions: dict[str, np.ndarray] = {}
    for name in CANDIDATES:
        model = fit_candidate(name, train, features, settings.seed)
        if model is None:
            continue
        backtest_predictions[name] = model.predict(test)
        for metric, value in churn_metrics(y_test, backtest_predictions[name], tie_break).items():
            run.metrics.append({"model": name, "metric": metric, "value": value})

    shipped_name = select_model(run.metrics, settings.selection_metric)
    if shipped_name is None:
        run.status = "not trained: no candidate could be evaluated"
        return run
    run.calibration = calibration_by_decile(y_test, backtest_predictions[shipped_name], tie_break)
    run.shipped = fit_candidate(shipped_name, training_sample(test, settings.max_training_rows, settings.seed),
                                features, settings.seed)
    run.scores = score_customers(run.shipped, frames["score"], settings)
    return run
