"""Checks on the churn model and its scores (severity ERROR).

- ``churn_shipped_model_not_worse_than_recency_rule``: the backtest lists every candidate that could
  run, with all four metrics, and the shipped model is at least as good as the recency rule on the
  selection metric. A failure means the model choice is broken: do not act on the scores.
- ``churn_scores_consistent``: one row per customer in scope, probabilities between 0 and 1, tiers
  matching the cut-offs, value at risk = probability × 12-month CLV.
"""

from datetime import date, timedelta

import duckdb
from dagster import AssetCheckExecutionContext, AssetCheckResult, AssetKey, asset_check

from assets.analytics.churn_features import ChurnSettings
from assets.analytics.churn_metrics import METRIC_DIRECTIONS
from checks.results import Outcome
from checks.running import query_outcome, run_check
from pipelines.resources import PipelineSettings, Warehouse


def model_choice_outcomes(conn: duckdb.DuckDBPyConnection, settings: ChurnSettings) -> list[Outcome]:
    """Every evaluated candidate has all metrics; the shipped one is not worse than the recency rule."""
    rows = conn.execute("SELECT count(*) FROM analytics.churn_model_metrics").fetchall()[0][0]
    metrics = ", ".join(f"'{m}'" for m in METRIC_DIRECTIONS)
    outcomes = [query_outcome(
        conn, "expect_every_candidate_has_all_metrics", "model, metric",
        f"every candidate on the backtest has the metrics {metrics}", rows,
        f"""SELECT c.candidate || ' lacks ' || m.metric
            FROM (SELECT DISTINCT model AS candidate FROM analytics.churn_model_metrics) c
            CROSS JOIN (SELECT unnest([{metrics}]) AS metric) m
            WHERE NOT EXISTS (SELECT 1 FROM analytics.churn_model_metrics x
                              WHERE x.model = c.candidate AND x.metric = m.metric AND x.value IS NOT NULL)""")]
    outcomes.append(query_outcome(
        conn, "expect_recency_rule_evaluated", "model",
        "the recency rule baseline is on the backtest whenever any model is", 1,
        """SELECT 'recency_rule missing' WHERE EXISTS (SELECT 1 FROM analytics.churn_model_metrics)
           AND NOT EXISTS (SELECT 1 FROM analytics.churn_model_metrics WHERE model = 'recency_rule')"""))
    direction = METRIC_DIRECTIONS[settings.selection_metric]
    outcomes.append(query_outcome(
        conn, "expect_shipped_not_worse_than_recency_rule", "value",
        f"the shipped model's backtest {settings.selection_metric} is not worse than the recency rule's", 1,
        f"""SELECT s.model || ' ' || round(s.value, 4) || ' vs recency_rule ' || round(r.value, 4)
            FROM analytics.churn_model_metrics s JOIN analytics.churn_model_metrics r
              ON r.model = 'recency_rule' AND r.metric = s.metric
            WHERE s.is_shipped AND s.metric = $metric AND s.value * {direction} < r.value * {direction} - 1e-9""",
        {"metric": settings.selection_metric}))
    return outcomes


def score_outcomes(conn: duckdb.DuckDBPyConnection, as_of: date, settings: ChurnSettings) -> list[Outcome]:
    """Scores cover the customers in scope once each, with valid probabilities, tiers and value at risk."""
    rows = conn.execute("SELECT count(*) FROM analytics.churn_scores").fetchall()[0][0]
    trained = conn.execute("SELECT count(*) FROM analytics.churn_model_metrics WHERE is_shipped").fetchall()[0][0]
    params = {"as_of": as_of, "start": as_of - timedelta(days=settings.population_days)}
    in_scope = """SELECT DISTINCT customer_id FROM core.orders WHERE status = 'completed' AND customer_id IS NOT NULL
                  AND order_date > $start AND order_date <= $as_of"""
    outcomes = []
    if trained:
        outcomes.append(query_outcome(
            conn, "expect_every_recent_buyer_scored", "customer_id",
            f"every customer who bought in the {settings.population_days} days before the as-of date has a score",
            rows, f"SELECT customer_id FROM ({in_scope}) WHERE customer_id NOT IN "
                  "(SELECT customer_id FROM analytics.churn_scores)", params))
    outcomes += [
        query_outcome(conn, "expect_one_row_per_customer", "customer_id", "no customer is scored twice", rows,
                 "SELECT customer_id FROM analytics.churn_scores GROUP BY customer_id HAVING count(*) > 1"),
        query_outcome(conn, "expect_probability_between_0_and_1", "churn_probability",
                 "churn_probability is between 0 and 1", rows,
                 "SELECT customer_id FROM analytics.churn_scores WHERE churn_probability IS NULL "
                 "OR churn_probability < 0 OR churn_probability > 1"),
        query_outcome(conn, "expect_tier_matches_cutoffs", "risk_tier",
                 f"risk_tier is high from {settings.risk_high}, medium from {settings.risk_medium}, else low", rows,
                 f"""SELECT customer_id || ' ' || churn_probability || ' ' || coalesce(risk_tier, '(empty)')
                     FROM analytics.churn_scores WHERE risk_tier IS DISTINCT FROM CASE
                       WHEN churn_probability >= {settings.risk_high} THEN 'high'
                       WHEN churn_probability >= {settings.risk_medium} THEN 'medium' ELSE 'low' END"""),
        query_outcome(conn, "expect_value_at_risk_is_probability_times_clv", "value_at_risk",
                 "value_at_risk = churn_probability × clv_12m (to the cent)", rows,
                 """SELECT customer_id FROM analytics.churn_scores
                    WHERE (clv_12m IS NULL) <> (value_at_risk IS NULL)
                       OR abs(value_at_risk - churn_probability * clv_12m) > 0.006"""),
    ]
    return outcomes


def _settings(settings: PipelineSettings) -> ChurnSettings:
    return ChurnSettings.from_thresholds(settings.thresholds())


@asset_check(
    asset=AssetKey(["analytics", "churn_model_metrics"]),
    name="churn_shipped_model_not_worse_than_recency_rule",
    description="The backtest lists every candidate with ROC AUC, PR AUC, Brier score and top-decile lift, "
    "including the recency-rule baseline, and the shipped model is at least as good as the recency rule on "
    "churn.selection_metric (severity ERROR). When too little history exists no model is trained and the "
    "table is empty; the check then passes and the asset metadata says why.",
)
def churn_shipped_model_not_worse_than_recency_rule(context: AssetCheckExecutionContext, warehouse: Warehouse,
                                                    settings: PipelineSettings) -> AssetCheckResult:
    churn_settings = _settings(settings)
    return run_check(context, warehouse, settings, check_name="churn_shipped_model_not_worse_than_recency_rule",
                     table="analytics.churn_model_metrics",
                     compute=lambda conn, as_of: model_choice_outcomes(conn, churn_settings))


@asset_check(
    asset=AssetKey(["analytics", "churn_scores"]),
    name="churn_scores_consistent",
    additional_deps=[AssetKey(["core", "orders"])],
    description="Every customer who bought in the churn.population_days before the as-of date has exactly one "
    "score (when a model was trained), probabilities are between 0 and 1, risk tiers follow churn.risk_high / "
    "churn.risk_medium, and value_at_risk = churn_probability × clv_12m (severity ERROR).",
)
def churn_scores_consistent(context: AssetCheckExecutionContext, warehouse: Warehouse,
                            settings: PipelineSettings) -> AssetCheckResult:
    churn_settings = _settings(settings)
    return run_check(context, warehouse, settings, check_name="churn_scores_consistent",
                     table="analytics.churn_scores",
                     compute=lambda conn, as_of: score_outcomes(conn, as_of, churn_settings))


CHURN_CHECKS = [churn_shipped_model_not_worse_than_recency_rule, churn_scores_consistent]
