"""Churn prediction assets: backtest metrics of every candidate model, churn scores with reasons,
early warnings and value at risk, the customers left unscored and why, and the two diagnostics
tables. The logic lives in ``churn_features`` (features and labels), ``churn_models`` (candidates
and fallbacks), ``churn_training`` (rolling-origin backtest, choice, scoring), ``churn_reasons``
and ``churn_artefacts`` (saved models); the settings are in ``settings.py``, the SQL in ``sql/``.

The assets never stop the run: a model that cannot be trained ships a fallback with a degraded
status, and an unexpected error leaves the tables empty with a failed status
(``quality.asset_status``), so the reports and the other assets still build."""

import logging
from datetime import date, timedelta

import duckdb
import polars as pl
from dagster import AssetExecutionContext, AssetKey, AssetSpec, MaterializeResult, MetadataValue, multi_asset

from assets.analytics.churn.artefacts import save_churn_artefacts
from assets.analytics.churn.models import BASELINES
from assets.analytics.churn.settings import ChurnSettings
from assets.analytics.churn.training import ChurnRun, Health, TrainingPlan, run_churn
from assets.common.metadata import table_metadata
from assets.common.resources import PipelineSettings, Warehouse
from assets.common.sql import SqlFolder
from assets.common.status import FAILED, AssetStatus, failure_status, record_status
from assets.common.tables import table_exists
from assets.common.vocabulary import RISK_TIER_SHORT_NAMES, RISK_TIERS

CHURN_TABLES = ("churn_model_metrics", "churn_scores", "churn_unscored", "churn_calibration",
                "purchase_forecast_accuracy")
SCORE_SCHEMA = {
    "customer_id": pl.Utf8, "days_since_last_purchase": pl.Int64, "churn_probability": pl.Float64,
    "risk_tier": pl.Utf8, "top_reasons": pl.Utf8, "top_reasons_zh": pl.Utf8, "top_reason_codes": pl.Utf8,
    "interaction_drop": pl.Boolean, "spend_drop": pl.Boolean, "complaint_spike": pl.Boolean,
}
METRIC_SCHEMA = {"model": pl.Utf8, "metric": pl.Utf8, "value": pl.Float64, "evaluation": pl.Utf8,
                 "position": pl.Int64}
CALIBRATION_SCHEMA = {"decile": pl.Int64, "customers": pl.Int64, "mean_predicted": pl.Float64,
                      "actual_churn_rate": pl.Float64, "min_predicted": pl.Float64, "max_predicted": pl.Float64}
FORECAST_SCHEMA = {"frequency_bucket": pl.Utf8, "bucket_order": pl.Int64, "customers": pl.Int64,
                   "predicted_purchases": pl.Float64, "actual_purchases": pl.Int64}
UNSCORED_REASONS = {  # reason_code: (English, Chinese); {days} = churn.population_days
    "lapsed": ("No purchase in the {days} days before the as-of date: already lapsed, not a prediction",
               "分析日前 {days} 天内无购买：已流失，不做预测"),
    "scoring_failed": ("Not scored: the churn model could not be computed in this run (see quality.asset_status)",
                       "未评分：本次运行未能计算流失模型（见 quality.asset_status）"),
    "not_scored": ("Bought in the scoring window but no score was produced", "在评分范围内购买过，但未生成评分"),
}
LOG = logging.getLogger(__name__)
SQL = SqlFolder(__file__)


def _frame(rows: list[dict], schema: dict) -> pl.DataFrame:
    return pl.DataFrame([{k: r.get(k) for k in schema} for r in rows], schema=schema, nan_to_null=True)


def _unscored_reasons(settings: ChurnSettings) -> dict[str, list[str]]:
    """The reason codes of analytics.churn_unscored with their English and Chinese sentences."""
    return {"reason_codes": list(UNSCORED_REASONS),
            "reasons_en": [en.format(days=settings.population_days) for en, _ in UNSCORED_REASONS.values()],
            "reasons_zh": [zh.format(days=settings.population_days) for _, zh in UNSCORED_REASONS.values()]}


def write_churn_tables(conn: duckdb.DuckDBPyConnection, run: ChurnRun, settings: ChurnSettings,
                       failed: bool = False) -> None:
    """Replace analytics.churn_model_metrics, churn_scores, churn_unscored, churn_calibration and
    purchase_forecast_accuracy in one transaction (``failed``: the scores are empty because the
    computation failed, and every buyer is listed as unscored for that reason)."""
    plan = run.plan
    shipped = run.shipped.name if run.shipped else None
    scores = run.scores if run.scores is not None else pl.DataFrame(schema=SCORE_SCHEMA)
    frames = {
        "churn_metric_rows": _frame([{**m, "position": i} for i, m in enumerate(run.metrics)], METRIC_SCHEMA),
        "churn_score_rows": scores.select([pl.col(k).cast(v) for k, v in SCORE_SCHEMA.items()]),
        "churn_calibration_rows": _frame(run.calibration, CALIBRATION_SCHEMA),
        "purchase_forecast_rows": _frame(run.purchase_forecast, FORECAST_SCHEMA),
    }
    params = {"as_of": plan.as_of, "c0": plan.backtest_cutoffs[0] if plan.backtest_cutoffs else None,
              "c1": plan.test_cutoff, "shipped": shipped, "status": run.health.message_en,
              "baselines": list(BASELINES), "label_days": plan.label_horizon_days or None,
              "cutoffs": len(plan.backtest_cutoffs), "failed": failed,
              "population_start": plan.as_of - timedelta(days=settings.population_days),
              "risk_tiers": list(RISK_TIERS),
              "risk_tier_names_zh": [RISK_TIER_SHORT_NAMES["zh"][tier] for tier in RISK_TIERS],
              **_unscored_reasons(settings)}
    structure = {"has_clv": table_exists(conn, "analytics.clv")}
    for name, frame in frames.items():
        conn.register(name, frame)
    try:
        conn.execute("BEGIN TRANSACTION")
        SQL.run(conn, "churn_tables", structure, **params)
        conn.execute("COMMIT")
    except Exception:
        conn.execute("ROLLBACK")
        raise
    finally:
        for name in frames:
            conn.unregister(name)


def asset_status(table: str, health: Health) -> AssetStatus:
    """The quality.asset_status row of one churn table for a run that did not fail."""
    return AssetStatus(f"analytics/{table}", health.state, health.message_en, health.message_zh)


def build_churn(conn: duckdb.DuckDBPyConnection, as_of: date, settings: ChurnSettings,
                models_dir: str | None, log: logging.Logger | None = None) -> ChurnRun:
    """Backtest, choose, score, write the five tables, save the model artefacts and record the
    status of each table. An error inside leaves the tables empty (every buyer unscored), records a
    failed status with its cause and is logged with its traceback instead of being raised."""
    try:
        run = run_churn(conn, as_of, settings)
        write_churn_tables(conn, run, settings)
        if models_dir:
            save_churn_artefacts(models_dir, run, settings)
        statuses = [asset_status(table, run.health) for table in CHURN_TABLES]
    except Exception as error:  # contained on purpose: the reports and other assets must still run
        (log or LOG).error("churn prediction failed; writing empty churn tables", exc_info=True)
        statuses = [failure_status(f"analytics/{table}", error) for table in CHURN_TABLES]
        run = ChurnRun(TrainingPlan(as_of, settings.horizon_days, 0, 0),
                       Health(FAILED, statuses[0].message_en, statuses[0].message_zh))
        write_churn_tables(conn, run, settings, failed=True)
    for status in statuses:
        record_status(conn, status, as_of)
    return run


_DEPS = [AssetKey(["core", name]) for name in
         ("orders", "order_lines", "interactions", "tickets", "surveys", "email_events", "opportunities")]

_WINDOWS = """Dates, H = `churn.horizon_days` (default 90), rolling origin: the backtest trains candidates
on the customers at as-of − 2H, as-of − 3H, ... (up to `churn.training_cutoffs`, stacked), each
labelled by the H days after it, then judges them on the customers at as-of − H with outcomes in
(as-of − H, as-of], a window none of them saw. The winner is re-trained on the cutoffs as-of − H,
as-of − 2H, ... and scores the as-of date. Churn = no completed purchase in the H days after a date.
With too little history for two H-day windows, a shorter outcome window is used (label_horizon_days)
and the probabilities are moved to H days with the BG/NBD model; with no usable window, a
label-free fallback ships (see status). Customers in scope: those who bought in the
`churn.population_days` (365) days before a date; the others are in analytics.churn_unscored."""


@multi_asset(
    specs=[
        AssetSpec(
            key=["analytics", "churn_model_metrics"], group_name="analytics", kinds={"duckdb", "sklearn"},
            deps=_DEPS,
            description=f"""How accurately each candidate churn model predicted churn on the backtest:
one row per model × metric.

{_WINDOWS}

- model: recency_rule (days since the last purchase), bgnbd_score (the BG/NBD purchase model's
  probability of no purchase in the horizon), logistic_regression, gradient_boosting
  (HistGradientBoosting, Platt-calibrated); or, when nothing could be learnt, the label-free fallback
  that shipped: bgnbd_no_purchase or purchase_gap_rule.
- metric: roc_auc (0.5 = coin toss, 1 = perfect ranking), pr_auc (average precision; compare with
  the churn rate), brier_score (mean squared error of the probabilities; lower is better),
  top_decile_lift (churn rate of the riskiest 10% ÷ overall churn rate).
- evaluation: backtest, or 'not evaluated' (value empty) when no labelled window exists.
- is_shipped: the model used for analytics.churn_scores = the best on `churn.selection_metric`
  (roc_auc by default); a baseline ships when no machine-learning model beats it (is_baseline).
- label_horizon_days: the outcome window learnt from (H, or shorter on a short history);
  training_cutoffs: cutoffs stacked in the backtest training set, the newest being train_cutoff;
  test_cutoff, test_window_end: the judged window; status: what was built and why, in English
  (both languages in quality.asset_status).""",
        ),
        AssetSpec(
            key=["analytics", "churn_scores"], group_name="analytics", kinds={"duckdb", "sklearn"},
            deps=[*_DEPS, AssetKey(["analytics", "clv"])],
            description=f"""One row per customer who bought in the `churn.population_days` (365) days
before the as-of date: the probability that they make no purchase in the next `churn.horizon_days`
(90) days, from the shipped model (see analytics.churn_model_metrics; a label-free fallback when
none could be learnt, so every such customer is scored).

- churn_probability: 0–1, from the shipped model trained on the newest complete windows (on a
  short history moved to the requested horizon with the BG/NBD purchase model).
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
            key=["analytics", "churn_unscored"], group_name="analytics", kinds={"duckdb"},
            deps=_DEPS,
            description="""One row per customer with a completed purchase on or before the as-of date who is
not in analytics.churn_scores, with the reason: together the two tables cover every buying customer.

- reason_code / reason_en / reason_zh: lapsed (no purchase in the `churn.population_days` before the
  as-of date: already gone, not a prediction), scoring_failed (the churn computation failed in this
  run: see quality.asset_status), not_scored (in the scoring window but no score: should not happen).
- last_purchase_date: the customer's last completed purchase on or before the as-of date.""",
        ),
        AssetSpec(
            key=["analytics", "churn_calibration"], group_name="analytics", kinds={"duckdb", "sklearn"},
            deps=_DEPS,
            description="""Are the shipped model's probabilities honest? Its backtest predictions
(trained on the cutoffs before the test cutoff, scored at as-of − H) split into ten equal groups by
predicted probability (decile 1 = lowest risk): customers, mean_predicted, and actual_churn_rate =
share who then made no purchase by the as-of date. A well-calibrated model has mean_predicted ≈
actual_churn_rate in every decile; actual rates rising from decile 1 to 10 show it ranks customers
well. Empty when the shipped model could not be judged on a labelled window.""",
        ),
        AssetSpec(
            key=["analytics", "purchase_forecast_accuracy"], group_name="analytics", kinds={"duckdb", "scipy"},
            deps=_DEPS,
            description="""How well the BG/NBD purchase model (the one behind analytics.clv) forecast the
last horizon: fitted on every buyer's history up to the backtest test cutoff (as-of − H, or the
shorter label horizon), its expected purchase days from then to the as-of date against the purchase
days that happened. One row per past repeat-purchase frequency (0..6 and 7+: purchase days − 1 up to
the cutoff) and an 'all' row: customers, predicted_purchases, actual_purchases and both per customer.
Predicted close to actual in every bucket means the CLV forecasts can be trusted. Empty when the
model cannot be fitted at the cutoff.""",
        ),
    ],
)
def churn_assets(context: AssetExecutionContext, warehouse: Warehouse, settings: PipelineSettings):
    """Backtest the churn candidates, ship the best (or a fallback), score every recent buyer, list
    the others, save the model and record the status of each table."""
    with warehouse.connect() as conn:
        as_of = settings.run_as_of(conn)
        churn_settings = ChurnSettings.from_thresholds(settings.rules())
        run = build_churn(conn, as_of, churn_settings, settings.models_dir or None, context.log)
        plan = run.plan
        extra = {"as_of": MetadataValue.text(as_of.isoformat()), "status": MetadataValue.text(run.health.state),
                 "status_message": MetadataValue.text(run.health.message_en),
                 "status_message_zh": MetadataValue.text(run.health.message_zh),
                 "shipped_model": MetadataValue.text(run.shipped.name if run.shipped else "none"),
                 "label_horizon_days": MetadataValue.int(plan.label_horizon_days),
                 "training_cutoffs": MetadataValue.text(", ".join(c.isoformat() for c in plan.shipped_cutoffs)),
                 "features": MetadataValue.text(", ".join(run.features))}
        for table in CHURN_TABLES:
            yield MaterializeResult(asset_key=AssetKey(["analytics", table]),
                                    metadata=table_metadata(conn, f"analytics.{table}", **extra))


CHURN_ASSETS = [churn_assets]
