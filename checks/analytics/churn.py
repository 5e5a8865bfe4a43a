"""Checks on the churn model and its scores (severity ERROR).

- ``churn_shipped_model_not_worse_than_best_baseline``: every model judged on the backtest has all
  four metrics, the recency rule is judged whenever a learned candidate is, and the shipped model is
  at least as good as the best baseline (recency rule, BG/NBD) on the selection metric. A failure
  means the model choice is broken: do not act on the scores.
- ``churn_scores_consistent``: one row per customer in scope, probabilities between 0 and 1, tiers
  matching the cut-offs, value at risk = probability × 12-month CLV.
- ``churn_every_buyer_scored_or_explained``: every customer with a completed purchase on or before
  the as-of date is in exactly one of analytics.churn_scores and analytics.churn_unscored, the latter
  with a reason in both languages.

Whether the churn assets were built as configured (or fell back, or failed) is the business of their
``<table>_built_as_configured`` status checks (checks/common/status.py).
"""

from datetime import date, timedelta

import duckdb
from dagster import AssetCheckExecutionContext, AssetCheckResult, AssetKey, asset_check

from assets.analytics.churn.features import ChurnSettings
from assets.analytics.churn.metrics import METRIC_DIRECTIONS
from assets.common.resources import PipelineSettings, Warehouse
from checks.common.results import Outcome
from checks.common.running import query_outcome, run_check

BUYERS_SQL = """SELECT DISTINCT customer_id FROM core.orders WHERE status = 'completed' AND customer_id IS NOT NULL
                AND order_date <= $as_of"""


def model_choice_outcomes(conn: duckdb.DuckDBPyConnection, settings: ChurnSettings) -> list[Outcome]:
    """Every judged model has all metrics; the shipped one is not worse than the best baseline."""
    rows = conn.execute("SELECT count(*) FROM analytics.churn_model_metrics").fetchall()[0][0]
    metrics = ", ".join(f"'{m}'" for m in METRIC_DIRECTIONS)
    outcomes = [query_outcome(
        conn, "expect_every_judged_model_has_all_metrics", "model, metric",
        f"every model judged on the backtest has the metrics {metrics}", rows,
        f"""SELECT c.candidate || ' lacks ' || m.metric
            FROM (SELECT DISTINCT model AS candidate FROM analytics.churn_model_metrics
                  WHERE evaluation = 'backtest') c
            CROSS JOIN (SELECT unnest([{metrics}]) AS metric) m
            WHERE NOT EXISTS (SELECT 1 FROM analytics.churn_model_metrics x
                              WHERE x.model = c.candidate AND x.metric = m.metric AND x.value IS NOT NULL)""")]
    outcomes.append(query_outcome(
        conn, "expect_recency_rule_evaluated", "model",
        "the recency rule baseline is on the backtest whenever a learned candidate is", 1,
        """SELECT 'recency_rule missing' WHERE EXISTS (SELECT 1 FROM analytics.churn_model_metrics
                                                       WHERE model IN ('logistic_regression', 'gradient_boosting'))
           AND NOT EXISTS (SELECT 1 FROM analytics.churn_model_metrics WHERE model = 'recency_rule')"""))
    direction = METRIC_DIRECTIONS[settings.selection_metric]
    outcomes.append(query_outcome(
        conn, "expect_shipped_not_worse_than_best_baseline", "value",
        f"the shipped model's backtest {settings.selection_metric} is not worse than the best baseline's", 1,
        f"""WITH best AS (SELECT arg_max(model, value * {direction}) AS model, max(value * {direction}) AS score
                          FROM analytics.churn_model_metrics
                          WHERE is_baseline AND metric = $metric AND value IS NOT NULL)
            SELECT s.model || ' ' || round(s.value, 4) || ' vs ' || b.model || ' ' || round(b.score * {direction}, 4)
            FROM analytics.churn_model_metrics s, best b
            WHERE s.is_shipped AND s.metric = $metric AND b.score IS NOT NULL
              AND (s.value IS NULL OR s.value * {direction} < b.score - 1e-9)""",
        {"metric": settings.selection_metric}))
    outcomes.append(query_outcome(
        conn, "expect_status_says_what_was_built", "status", "every row carries the run's status sentence", rows,
        "SELECT model || ' ' || metric FROM analytics.churn_model_metrics WHERE status IS NULL OR status = ''"))
    return outcomes


def score_outcomes(conn: duckdb.DuckDBPyConnection, as_of: date, settings: ChurnSettings) -> list[Outcome]:
    """Scores cover the customers in scope once each, with valid probabilities, tiers and value at risk."""
    rows = conn.execute("SELECT count(*) FROM analytics.churn_scores").fetchall()[0][0]
    shipped = conn.execute("SELECT count(*) FROM analytics.churn_model_metrics WHERE is_shipped").fetchall()[0][0]
    params = {"as_of": as_of, "start": as_of - timedelta(days=settings.population_days)}
    in_scope = """SELECT DISTINCT customer_id FROM core.orders WHERE status = 'completed' AND customer_id IS NOT NULL
                  AND order_date > $start AND order_date <= $as_of"""
    outcomes = []
    if shipped:  # nothing ships only when the computation failed, which its status check reports
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
                      "OR isnan(churn_probability) OR churn_probability < 0 OR churn_probability > 1"),
        query_outcome(conn, "expect_tier_matches_cutoffs", "risk_tier",
                      f"risk_tier is high from {settings.risk_high}, medium from {settings.risk_medium}, else low",
                      rows,
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


def coverage_outcomes(conn: duckdb.DuckDBPyConnection, as_of: date) -> list[Outcome]:
    """Every buyer is scored or listed as unscored with a reason, never both, never neither."""
    params = {"as_of": as_of}
    buyers = conn.execute(f"SELECT count(*) FROM ({BUYERS_SQL})", params).fetchall()[0][0]
    unscored = conn.execute("SELECT count(*) FROM analytics.churn_unscored").fetchall()[0][0]
    return [
        query_outcome(conn, "expect_every_buyer_scored_or_unscored", "customer_id",
                      "every customer with a completed purchase on or before the as-of date is in churn_scores or "
                      "churn_unscored", buyers,
                      f"""SELECT customer_id FROM ({BUYERS_SQL})
                          WHERE customer_id NOT IN (SELECT customer_id FROM analytics.churn_scores)
                            AND customer_id NOT IN (SELECT customer_id FROM analytics.churn_unscored)""", params),
        query_outcome(conn, "expect_no_customer_both_scored_and_unscored", "customer_id",
                      "no customer is both scored and unscored", unscored,
                      """SELECT customer_id FROM analytics.churn_unscored
                         WHERE customer_id IN (SELECT customer_id FROM analytics.churn_scores)"""),
        query_outcome(conn, "expect_unscored_once_with_a_reason", "reason_code",
                      "each unscored customer is listed once, with a reason code and a reason in English and "
                      "Chinese", unscored,
                      """SELECT customer_id FROM analytics.churn_unscored
                         WHERE reason_code IS NULL OR reason_en IS NULL OR reason_zh IS NULL
                         UNION ALL
                         SELECT customer_id FROM analytics.churn_unscored GROUP BY customer_id HAVING count(*) > 1"""),
        query_outcome(conn, "expect_unscored_are_buyers", "customer_id",
                      "every unscored customer bought on or before the as-of date", unscored,
                      f"SELECT customer_id FROM analytics.churn_unscored WHERE customer_id NOT IN ({BUYERS_SQL})",
                      params),
    ]


def _settings(settings: PipelineSettings) -> ChurnSettings:
    return ChurnSettings.from_thresholds(settings.rules())


@asset_check(
    asset=AssetKey(["analytics", "churn_model_metrics"]),
    name="churn_shipped_model_not_worse_than_best_baseline",
    description="Every model judged on the backtest has ROC AUC, PR AUC, Brier score and top-decile lift, the "
    "recency-rule baseline is judged whenever a learned candidate is, and the shipped model is at least as good "
    "as the best baseline (recency rule or BG/NBD) on churn.selection_metric (severity ERROR). When nothing can "
    "be learnt, a label-free fallback ships, judged on the newest labelled window when there is one; the status "
    "column and the status check say why.",
)
def churn_shipped_model_not_worse_than_best_baseline(context: AssetCheckExecutionContext, warehouse: Warehouse,
                                                     settings: PipelineSettings) -> AssetCheckResult:
    churn_settings = _settings(settings)
    return run_check(context, warehouse, settings, check_name="churn_shipped_model_not_worse_than_best_baseline",
                     table="analytics.churn_model_metrics",
                     compute=lambda conn, as_of: model_choice_outcomes(conn, churn_settings))


@asset_check(
    asset=AssetKey(["analytics", "churn_scores"]),
    name="churn_scores_consistent",
    additional_deps=[AssetKey(["core", "orders"])],
    description="Every customer who bought in the churn.population_days before the as-of date has exactly one "
    "score (unless the computation failed), probabilities are between 0 and 1, risk tiers follow churn.risk_high "
    "/ churn.risk_medium, and value_at_risk = churn_probability × clv_12m (severity ERROR).",
)
def churn_scores_consistent(context: AssetCheckExecutionContext, warehouse: Warehouse,
                            settings: PipelineSettings) -> AssetCheckResult:
    churn_settings = _settings(settings)
    return run_check(context, warehouse, settings, check_name="churn_scores_consistent",
                     table="analytics.churn_scores",
                     compute=lambda conn, as_of: score_outcomes(conn, as_of, churn_settings))


@asset_check(
    asset=AssetKey(["analytics", "churn_unscored"]),
    name="churn_every_buyer_scored_or_explained",
    additional_deps=[AssetKey(["core", "orders"]), AssetKey(["analytics", "churn_scores"])],
    description="Every customer with a completed purchase on or before the as-of date is in exactly one of "
    "analytics.churn_scores and analytics.churn_unscored, each unscored customer once with a reason code and a "
    "reason in English and Chinese (severity ERROR).",
)
def churn_every_buyer_scored_or_explained(context: AssetCheckExecutionContext, warehouse: Warehouse,
                                          settings: PipelineSettings) -> AssetCheckResult:
    return run_check(context, warehouse, settings, check_name="churn_every_buyer_scored_or_explained",
                     table="analytics.churn_unscored", compute=coverage_outcomes)


CHURN_CHECKS = [churn_shipped_model_not_worse_than_best_baseline, churn_scores_consistent,
                churn_every_buyer_scored_or_explained]
