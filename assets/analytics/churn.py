"""Churn prediction assets: backtest metrics of every candidate model, churn scores with reasons,
early warnings and value at risk, and the two diagnostics tables. The logic lives in
``churn_features`` (features and labels), ``churn_models`` (candidates), ``churn_training``
(backtest, choice, scoring), ``churn_reasons`` and ``churn_artefacts`` (saved models)."""

from datetime import date

import duckdb
import polars as pl
from dagster import AssetKey, AssetSpec, MaterializeResult, MetadataValue, multi_asset

from assets.analytics.churn_artefacts import save_churn_artefacts
from assets.analytics.churn_features import ChurnSettings
from assets.analytics.churn_models import BASELINES
from assets.analytics.churn_training import ChurnRun, run_churn
from assets.as_of import resolve_as_of
from assets.metadata import table_metadata
from pipelines.resources import PipelineSettings, Warehouse

SCORE_SCHEMA = {
    "customer_id": pl.Utf8, "days_since_last_purchase": pl.Int64, "churn_probability": pl.Float64,
    "risk_tier": pl.Utf8, "top_reasons": pl.Utf8, "top_reasons_zh": pl.Utf8, "top_reason_codes": pl.Utf8,
    "interaction_drop": pl.Boolean, "spend_drop": pl.Boolean, "complaint_spike": pl.Boolean,
}
METRIC_SCHEMA = {"model": pl.Utf8, "metric": pl.Utf8, "value": pl.Float64, "position": pl.Int64}
CALIBRATION_SCHEMA = {"decile": pl.Int64, "customers": pl.Int64, "mean_predicted": pl.Float64,
                      "actual_churn_rate": pl.Float64, "min_predicted": pl.Float64, "max_predicted": pl.Float64}
FORECAST_SCHEMA = {"frequency_bucket": pl.Utf8, "bucket_order": pl.Int64, "customers": pl.Int64,
                   "predicted_purchases": pl.Float64, "actual_purchases": pl.Int64}


def _frame(rows: list[dict], schema: dict) -> pl.DataFrame:
    return pl.DataFrame([{k: r.get(k) for k in schema} for r in rows], schema=schema, nan_to_null=True)


def write_churn_tables(conn: duckdb.DuckDBPyConnection, run: ChurnRun, settings: ChurnSettings) -> None:
    """Replace analytics.churn_model_metrics, churn_scores, churn_calibration and
    purchase_forecast_accuracy in one transaction."""
    w = run.windows
    shipped = run.shipped.name if run.shipped else None
    scores = run.scores if run.scores is not None else pl.DataFrame(schema=SCORE_SCHEMA)
    frames = {
        "churn_metric_rows": _frame([{**m, "position": i} for i, m in enumerate(run.metrics)], METRIC_SCHEMA),
        "churn_score_rows": scores.select([pl.col(k).cast(v) for k, v in SCORE_SCHEMA.items()]),
        "churn_calibration_rows": _frame(run.calibration, CALIBRATION_SCHEMA),
        "purchase_forecast_rows": _frame(run.purchase_forecast, FORECAST_SCHEMA),
    }
    params = {"as_of": w.as_of, "c0": w.backtest_train_cutoff, "c1": w.backtest_test_cutoff,
              "shipped": shipped, "status": run.status, "baselines": list(BASELINES)}
    for name, frame in frames.items():
        conn.register(name, frame)
    try:
        conn.execute("BEGIN TRANSACTION")
        conn.execute("""
            CREATE OR REPLACE TABLE analytics.churn_model_metrics AS
            SELECT model, metric, round(value, 6) AS value, 'backtest' AS evaluation,
                   model = $shipped AS is_shipped, list_contains($baselines, model) AS is_baseline,
                   $c0::DATE AS train_cutoff, $c1::DATE AS test_cutoff, $as_of::DATE AS test_window_end,
                   $status AS status, $as_of::DATE AS as_of
            FROM churn_metric_rows ORDER BY position""", params)
        conn.execute("""
            CREATE OR REPLACE TABLE analytics.churn_scores AS
            SELECT s.customer_id, s.churn_probability, s.risk_tier,
                   CASE s.risk_tier WHEN 'high' THEN '高' WHEN 'medium' THEN '中' WHEN 'low' THEN '低' END
                       AS risk_tier_zh,
                   s.top_reasons, s.top_reasons_zh, s.top_reason_codes,
                   s.interaction_drop, s.spend_drop, s.complaint_spike,
                   s.days_since_last_purchase,
                   c.clv_12m::DOUBLE AS clv_12m,
                   round(s.churn_probability * c.clv_12m, 2)::DOUBLE AS value_at_risk,
                   $shipped AS model, $as_of::DATE AS as_of
            FROM churn_score_rows s LEFT JOIN analytics.clv c USING (customer_id)
            ORDER BY s.customer_id""", {k: params[k] for k in ("shipped", "as_of")})
        conn.execute("""
            CREATE OR REPLACE TABLE analytics.churn_calibration AS
            SELECT $shipped AS model, decile, customers, round(mean_predicted, 6) AS mean_predicted,
                   round(actual_churn_rate, 6) AS actual_churn_rate, round(min_predicted, 6) AS min_predicted,
                   round(max_predicted, 6) AS max_predicted, $c1::DATE AS cutoff, $as_of::DATE AS window_end,
                   $as_of::DATE AS as_of
            FROM churn_calibration_rows ORDER BY decile""", {k: params[k] for k in ("shipped", "c1", "as_of")})
        conn.execute("""
            CREATE OR REPLACE TABLE analytics.purchase_forecast_accuracy AS
            SELECT frequency_bucket, bucket_order, customers, round(predicted_purchases, 2) AS predicted_purchases,
                   actual_purchases,
                   round(predicted_purchases / nullif(customers, 0), 4) AS predicted_per_customer,
                   round(actual_purchases / nullif(customers, 0), 4) AS actual_per_customer,
                   $c1::DATE AS cutoff, $as_of::DATE AS window_end, $as_of::DATE AS as_of
            FROM purchase_forecast_rows ORDER BY bucket_order""", {k: params[k] for k in ("c1", "as_of")})
        conn.execute("COMMIT")
    except Exception:
        conn.execute("ROLLBACK")
        raise
    finally:
        for name in frames:
            conn.unregister(name)


def build_churn(conn: duckdb.DuckDBPyConnection, as_of: date, settings: ChurnSettings,
                models_dir: str | None) -> ChurnRun:
    """Backtest, choose, score, write the four tables and save the model artefacts."""
    run = run_churn(conn, as_of, settings)
    write_churn_tables(conn, run, settings)
    if models_dir:
        save_churn_artefacts(models_dir, run, settings)
    return run


_DEPS = [AssetKey(["core", name]) for name in
         ("orders", "order_lines", "interactions", "tickets", "surveys", "email_events", "opportunities")]

_WINDOWS = """Dates, H = `churn.horizon_days` (default 90): the backtest trains candidates on features at
as-of − 2H with outcomes in the H days after, then judges them on features at as-of − H with outcomes
in (as-of − H, as-of], a window none of them saw. Churn = no completed purchase in the H days after a
date. Customers in scope: those who bought in the `churn.population_days` (365) days before a date."""


@multi_asset(
    specs=[
        AssetSpec(
            key=["analytics", "churn_model_metrics"], group_name="analytics", kinds={"duckdb", "sklearn"},
            deps=_DEPS,
            description=f"""How accurately each candidate churn model predicted churn on the backtest:
one row per model × metric.

{_WINDOWS}

- model: recency_rule (days since the last purchase), bgnbd_score (purchases the BG/NBD model
  expects in the horizon), logistic_regression, gradient_boosting (HistGradientBoosting, Platt-calibrated).
- metric: roc_auc (0.5 = coin toss, 1 = perfect ranking), pr_auc (average precision; compare with
  the churn rate), brier_score (mean squared error of the probabilities; lower is better),
  top_decile_lift (churn rate of the riskiest 10% ÷ overall churn rate).
- is_shipped: the model used for analytics.churn_scores = the best on `churn.selection_metric`
  (roc_auc by default); a baseline ships when no machine-learning model beats it (is_baseline).
- train_cutoff, test_cutoff, test_window_end: the backtest dates; status: ok or why nothing was trained.""",
        ),
        AssetSpec(
            key=["analytics", "churn_scores"], group_name="analytics", kinds={"duckdb", "sklearn"},
            deps=[*_DEPS, AssetKey(["analytics", "clv"])],
            description=f"""One row per customer who bought in the `churn.population_days` (365) days
before the as-of date: the probability that they make no purchase in the next `churn.horizon_days`
(90) days, from the shipped model (see analytics.churn_model_metrics).

- churn_probability: 0–1, calibrated on the newest complete window.
- risk_tier / risk_tier_zh: high (≥ `churn.risk_high`, 0.6), medium (≥ `churn.risk_medium`, 0.3), low.
- top_reasons / top_reasons_zh / top_reason_codes: for medium and high risk, up to three factors raising
  this customer's risk most, strongest first, with the customer's own numbers. A factor's weight is how
  far the probability falls when its features are set to those of a typical returning customer.
- interaction_drop: contacts in the last `churn.trend_days` (90) days ≤ half
  (`churn.interaction_drop_share`) of the 90 days before, which had ≥ 2 contacts.
- spend_drop: spend in the last 90 days ≤ half (`churn.spend_drop_share`) of the 90 days before (> 0).
- complaint_spike: ≥ `churn.complaint_spike_min` (2) complaints in the last 90 days and at least twice
  as many as in the 90 days before. Flags are empty when their source system is not delivered.
- clv_12m: from analytics.clv; value_at_risk = churn_probability × clv_12m (CNY).
- model: the shipped model; as_of: the scoring date.

{_WINDOWS}""",
        ),
        AssetSpec(
            key=["analytics", "churn_calibration"], group_name="analytics", kinds={"duckdb", "sklearn"},
            deps=_DEPS,
            description="""Are the shipped model's probabilities honest? Its backtest predictions
(trained at as-of − 2H, scored at as-of − H) split into ten equal groups by predicted probability
(decile 1 = lowest risk): customers, mean_predicted, and actual_churn_rate = share who then made no
purchase by the as-of date. A well-calibrated model has mean_predicted ≈ actual_churn_rate in every
decile; actual rates rising from decile 1 to 10 show it ranks customers well.""",
        ),
        AssetSpec(
            key=["analytics", "purchase_forecast_accuracy"], group_name="analytics", kinds={"duckdb", "scipy"},
            deps=_DEPS,
            description="""How well the BG/NBD purchase model (the one behind analytics.clv) forecast the
last horizon: fitted on every buyer's history up to as-of − H (H = `churn.horizon_days`), its expected
purchase days in (as-of − H, as-of] against the purchase days that happened. One row per past
repeat-purchase frequency (0..6 and 7+: purchase days − 1 up to the cutoff) and an 'all' row:
customers, predicted_purchases, actual_purchases and both per customer. Predicted close to actual in
every bucket means the CLV forecasts can be trusted.""",
        ),
    ],
)
def churn_assets(warehouse: Warehouse, settings: PipelineSettings):
    """Backtest the churn candidates, ship the best, score every customer and save the model."""
    with warehouse.connect() as conn:
        as_of = resolve_as_of(conn, settings.as_of_date())
        churn_settings = ChurnSettings.from_thresholds(settings.thresholds())
        run = build_churn(conn, as_of, churn_settings, settings.models_dir or None)
        extra = {"as_of": MetadataValue.text(as_of.isoformat()), "status": MetadataValue.text(run.status),
                 "shipped_model": MetadataValue.text(run.shipped.name if run.shipped else "none"),
                 "features": MetadataValue.text(", ".join(run.features))}
        for table in ("churn_model_metrics", "churn_scores", "churn_calibration", "purchase_forecast_accuracy"):
            yield MaterializeResult(asset_key=AssetKey(["analytics", table]),
                                    metadata=table_metadata(conn, f"analytics.{table}", **extra))


CHURN_ASSETS = [churn_assets]
