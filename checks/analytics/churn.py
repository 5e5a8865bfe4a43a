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

from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any

import duckdb

from assets.analytics.churn.metrics import METRIC_DIRECTIONS
from assets.analytics.churn.settings import ChurnSettings
from assets.common.sql import SqlFolder
from checks.common.results import Outcome
from checks.common.running import invariant_check, query_outcome

SQL = SqlFolder(__file__)


def model_choice_outcomes(conn: duckdb.DuckDBPyConnection, settings: ChurnSettings) -> list[Outcome]:
    """Every judged model has all metrics; the shipped one is not worse than the best baseline."""
    queries = SQL.named("churn")
    rows = conn.execute("SELECT count(*) FROM analytics.churn_model_metrics").fetchall()[0][0]
    metrics = ", ".join(f"'{m}'" for m in METRIC_DIRECTIONS)
    outcomes = [query_outcome(
        conn, "expect_every_judged_model_has_all_metrics", "model, metric",
        f"every model judged on the backtest has the metrics {metrics}", rows,
        queries["judged_model_lacks_metric"], {"metrics": list(METRIC_DIRECTIONS)})]
    outcomes.append(query_outcome(
        conn, "expect_recency_rule_evaluated", "model",
        "the recency rule baseline is on the backtest whenever a learned candidate is", 1,
        queries["recency_rule_missing"]))
    outcomes.append(query_outcome(
        conn, "expect_shipped_not_worse_than_best_baseline", "value",
        f"the shipped model's backtest {settings.selection_metric} is not worse than the best baseline's", 1,
        queries["shipped_worse_than_best_baseline"],
        {"metric": settings.selection_metric, "direction": METRIC_DIRECTIONS[settings.selection_metric]}))
    outcomes.append(query_outcome(
        conn, "expect_status_says_what_was_built", "status", "every row carries the run's status sentence", rows,
        queries["metric_without_status"]))
    return outcomes


def score_outcomes(conn: duckdb.DuckDBPyConnection, as_of: date, settings: ChurnSettings) -> list[Outcome]:
    """Scores cover the customers in scope once each, with valid probabilities, tiers and value at risk."""
    queries = SQL.named("churn")
    rows = conn.execute("SELECT count(*) FROM analytics.churn_scores").fetchall()[0][0]
    shipped = conn.execute("SELECT count(*) FROM analytics.churn_model_metrics WHERE is_shipped").fetchall()[0][0]
    params = {"as_of": as_of, "start": as_of - timedelta(days=settings.population_days)}
    outcomes = []
    if shipped:  # nothing ships only when the computation failed, which its status check reports
        outcomes.append(query_outcome(
            conn, "expect_every_recent_buyer_scored", "customer_id",
            f"every customer who bought in the {settings.population_days} days before the as-of date has a score",
            rows, queries["recent_buyer_unscored"], params))
    outcomes += [
        query_outcome(conn, "expect_one_row_per_customer", "customer_id", "no customer is scored twice", rows,
                      queries["scored_twice"]),
        query_outcome(conn, "expect_probability_between_0_and_1", "churn_probability",
                      "churn_probability is between 0 and 1", rows, queries["probability_out_of_range"]),
        query_outcome(conn, "expect_tier_matches_cutoffs", "risk_tier",
                      f"risk_tier is high from {settings.risk_high}, medium from {settings.risk_medium}, else low",
                      rows, queries["tier_not_matching_cutoffs"],
                      {"risk_high": settings.risk_high, "risk_medium": settings.risk_medium}),
        query_outcome(conn, "expect_value_at_risk_is_probability_times_clv", "value_at_risk",
                      "value_at_risk = churn_probability × clv_12m (to the cent)", rows,
                      queries["value_at_risk_not_probability_times_clv"]),
    ]
    return outcomes


def coverage_outcomes(conn: duckdb.DuckDBPyConnection, as_of: date) -> list[Outcome]:
    """Every buyer is scored or listed as unscored with a reason, never both, never neither."""
    queries = SQL.named("churn")
    params = {"as_of": as_of}
    buyers = conn.execute(queries["buyers"], params).fetchall()[0][0]
    unscored = conn.execute("SELECT count(*) FROM analytics.churn_unscored").fetchall()[0][0]
    return [
        query_outcome(conn, "expect_every_buyer_scored_or_unscored", "customer_id",
                      "every customer with a completed purchase on or before the as-of date is in churn_scores or "
                      "churn_unscored", buyers, queries["buyer_neither_scored_nor_unscored"], params),
        query_outcome(conn, "expect_no_customer_both_scored_and_unscored", "customer_id",
                      "no customer is both scored and unscored", unscored, queries["scored_and_unscored"]),
        query_outcome(conn, "expect_unscored_once_with_a_reason", "reason_code",
                      "each unscored customer is listed once, with a reason code and a reason in English and "
                      "Chinese", unscored, queries["unscored_without_reason_or_twice"]),
        query_outcome(conn, "expect_unscored_are_buyers", "customer_id",
                      "every unscored customer bought on or before the as-of date", unscored,
                      queries["unscored_not_a_buyer"], params),
    ]


def _churn_settings(rules: Mapping[str, Any]) -> ChurnSettings:
    return ChurnSettings.from_thresholds(dict(rules))


def churn_shipped_model_not_worse_than_best_baseline(conn: duckdb.DuckDBPyConnection, as_of: date,
                                                     rules: Mapping[str, Any]) -> list[Outcome]:
    """Every model judged on the backtest has ROC AUC, PR AUC, Brier score and top-decile lift, the
    recency-rule baseline is judged whenever a learned candidate is, and the shipped model is at
    least as good as the best baseline (recency rule or BG/NBD) on churn.selection_metric
    (severity ERROR). When nothing can be learnt, a label-free fallback ships, judged on the
    newest labelled window when there is one; the status column and the status check say why."""
    return model_choice_outcomes(conn, _churn_settings(rules))


def churn_scores_consistent(conn: duckdb.DuckDBPyConnection, as_of: date,
                            rules: Mapping[str, Any]) -> list[Outcome]:
    """Every customer who bought in the churn.population_days before the as-of date has exactly one
    score (unless the computation failed), probabilities are between 0 and 1, risk tiers follow
    churn.risk_high / churn.risk_medium, and value_at_risk = churn_probability × clv_12m
    (severity ERROR)."""
    return score_outcomes(conn, as_of, _churn_settings(rules))


def churn_every_buyer_scored_or_explained(conn: duckdb.DuckDBPyConnection, as_of: date,
                                          rules: Mapping[str, Any]) -> list[Outcome]:
    """Every customer with a completed purchase on or before the as-of date is in exactly one of
    analytics.churn_scores and analytics.churn_unscored, each unscored customer once with a
    reason code and a reason in English and Chinese (severity ERROR)."""
    return coverage_outcomes(conn, as_of)


CHURN_CHECKS = [
    invariant_check("analytics.churn_model_metrics", churn_shipped_model_not_worse_than_best_baseline),
    invariant_check("analytics.churn_scores", churn_scores_consistent, additional_deps=["core.orders"]),
    invariant_check(
        "analytics.churn_unscored",
        churn_every_buyer_scored_or_explained,
        additional_deps=["core.orders", "analytics.churn_scores"],
    ),
]
