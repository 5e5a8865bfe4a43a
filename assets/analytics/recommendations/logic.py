"""Product recommendations from item-item co-purchase, and their backtest against a popularity
baseline, as DuckDB SQL (the statements are in ``sql/``, the settings in ``settings.py``).

Definitions (as-of date A, settings in ``[recommendations]``):

- Purchases: completed order lines (status = 'completed') with a customer and a sku, dated in the
  history window A − ``history_days`` < order_date ≤ A. An item is a sku.
- n(i): distinct customers who bought sku i in the window; co(i, j): distinct customers who bought
  both i and j. Pairs with co < ``min_co_customers`` are ignored.
- Similarity (cosine): sim(i, j) = co(i, j) ÷ √(n(i) × n(j)). Each sku keeps its
  ``neighbours_per_item`` most similar skus (similarity descending, then sku).
- Score of candidate sku j for a customer = Σ sim(i, j) over the skus i the customer bought in the
  window that have j among their neighbours. Skus the customer bought in the last
  ``exclude_recent_days`` (A − exclude_recent_days < order_date ≤ A) are never recommended; a sku
  bought earlier in the window may be (re-purchase). The top ``top_n`` by score (then sku) are kept;
  because_of is the customer's purchased sku with the largest sim(i, j) (then the smaller sku).
- Popularity fill: a customer who bought in the window but has fewer than ``top_n`` co-purchase
  candidates gets the remaining ranks from the popularity ranking (distinct customers buying the sku
  in the last ``popularity_days``, then sku), skipping recent and already recommended skus; those
  rows say source = 'popular'. Customers without a purchase in the window get no rows.

Backtest (cutoff C = A − ``[churn] horizon_days``): recommendations built with data up to C (the
same function, as of C) are compared with what customers bought in (C, A]. A customer is evaluated
when it had recommendations at C and bought at least one sku in (C, A] that it had not bought in
(C − exclude_recent_days, C] (a re-purchase of a recent sku cannot be recommended by either model).
Hit = at least one of its top_n skus bought in (C, A]. The popularity baseline recommends each
evaluated customer the top_n skus by distinct customers in (C − popularity_days, C], skipping its
recent skus.

Determinism: similarities are summed as integers in units of 1e-9 (the addition order cannot change
a score, so ties are exact and broken by sku); every ranking has a full tie-breaker.

Scale: set-based SQL on integer keys. The only heavy step, summing the neighbours' similarities per
(customer, candidate), runs over chunks of CHUNK_CUSTOMERS customers, which keeps each aggregation's
hash table small (the same work, several times faster than one statement).
"""

from __future__ import annotations

from datetime import date, timedelta

import duckdb

from assets.analytics.recommendations.settings import RecommendationSettings
from assets.common.sql import SqlFolder
from assets.common.tables import table_exists

SQL = SqlFolder(__file__)
SIM_UNITS = 1_000_000_000  # similarities are summed as integers in units of 1e-9
CHUNK_CUSTOMERS = 32_768  # customers scored per statement
MODELS = ("item_item_co_purchase", "popularity")


def has_order_lines(conn: duckdb.DuckDBPyConnection) -> bool:
    return table_exists(conn, "core.order_lines")


# --- recommendations ------------------------------------------------------------------------------


_TEMP_TABLES = ("_reco_bought", "_reco_items", "_reco_customers", "_reco_ci", "_reco_neighbours", "_reco_popular",
                "_reco_top", "_reco_fill")


def build_recommendations(conn: duckdb.DuckDBPyConnection, as_of: date, settings: RecommendationSettings,
                          target: str = "analytics.recommendations", temporary: bool = False,
                          only_customers: str | None = None) -> None:
    """Write the top-n recommendations as of ``as_of`` into ``target`` (the columns of
    sql/empty_recommendations.sql, ordered by customer_id, rank): one row per recommended sku for every
    customer who bought in the history window, or only for those also listed in the table
    ``only_customers`` (column customer_id; co-purchase counts still use every customer)."""
    table = {"target": target, "temporary": temporary}
    if not has_order_lines(conn):
        SQL.run(conn, "empty_recommendations", table)
        return
    try:
        [(scored, n_items)] = SQL.rows(
            conn, "recommendations_prepare", {"only_customers": only_customers}, as_of=as_of,
            history_days=settings.history_days, exclude_recent_days=settings.exclude_recent_days,
            popularity_days=settings.popularity_days, min_co_customers=settings.min_co_customers,
            neighbours_per_item=settings.neighbours_per_item, sim_units=SIM_UNITS,
        )
        for first in range(1, int(scored) + 1, CHUNK_CUSTOMERS):
            last = min(first + CHUNK_CUSTOMERS - 1, int(scored))
            SQL.run(conn, "recommendations_chunk", first=first, last=last, m=int(n_items) + 1, top_n=settings.top_n)
        SQL.run(conn, "recommendations_fill", top_n=settings.top_n)
        SQL.run(conn, "recommendations", table, as_of=as_of, sim_units=SIM_UNITS)
    finally:
        SQL.run(conn, "drop_temp_tables", {"tables": _TEMP_TABLES})


# --- backtest -------------------------------------------------------------------------------------


_BACKTEST_TEMP_TABLES = ("_reco_backtest", "_reco_eval_window", "_reco_eval_recent", "_reco_eval_buyers",
                         "_reco_eval_customers", "_reco_eval_history", "_reco_popularity")


def _ratio(numerator: float, denominator: float) -> float | None:
    return round(numerator / denominator, 6) if denominator else None


def backtest(conn: duckdb.DuckDBPyConnection, as_of: date,
             settings: RecommendationSettings) -> dict[str, dict[str, float | None]]:
    """Evaluate both models at cutoff = as_of − horizon_days on the purchases in (cutoff, as_of].
    Returns {model: {metric: value}} (see build_recommendation_metrics)."""
    cutoff = as_of - timedelta(days=settings.horizon_days)
    evaluated = catalogue = 0
    stats = {m: (0, 0, 0, 0, 0) for m in MODELS}
    if has_order_lines(conn):
        SQL.run(conn, "backtest_inputs", cutoff=cutoff, as_of=as_of, exclude_recent_days=settings.exclude_recent_days)
        # only the customers who can be evaluated need recommendations at the cutoff
        build_recommendations(conn, cutoff, settings, target="_reco_backtest", temporary=True,
                              only_customers="_reco_eval_buyers")
        [(evaluated, catalogue)] = SQL.rows(conn, "backtest_lists", cutoff=cutoff, history_days=settings.history_days,
                                            popularity_days=settings.popularity_days, top_n=settings.top_n)
        evaluated, catalogue = int(evaluated), int(catalogue)
        co_purchase, popularity = MODELS
        stats = {row[0]: tuple(int(v) for v in row[1:]) for row in SQL.rows(
            conn, "backtest_model_stats", co_purchase_model=co_purchase, popularity_model=popularity)}
    values: dict[str, dict[str, float | None]] = {}
    for model in MODELS:
        hits, skus, list_rows, popular_rows, reorder_rows = stats[model]
        values[model] = {
            settings.hit_rate_metric: _ratio(hits, evaluated),
            "customers_evaluated": float(evaluated),
            "customers_with_hit": float(hits),
            "catalogue_coverage": _ratio(skus, catalogue),
            "skus_recommended": float(skus),
            "catalogue_skus": float(catalogue),
            "popular_row_share": _ratio(popular_rows, list_rows),
            "reorder_row_share": _ratio(reorder_rows, list_rows),
        }
    return values


def build_recommendation_metrics(conn: duckdb.DuckDBPyConnection, as_of: date,
                                 settings: RecommendationSettings) -> dict[str, dict[str, float | None]]:
    """Run the backtest and write analytics.recommendation_metrics: one row per model and metric,
    models and metrics in a fixed order. Returns {model: {metric: value}}."""
    cutoff = as_of - timedelta(days=settings.horizon_days)
    try:
        values = backtest(conn, as_of, settings)
        rows = [(model, metric, value) for model in MODELS for metric, value in values[model].items()]
        SQL.run(conn, "recommendation_metrics", models=[r[0] for r in rows], metrics=[r[1] for r in rows],
                metric_values=[r[2] for r in rows], cutoff=cutoff, as_of=as_of)
    finally:
        SQL.run(conn, "drop_temp_tables", {"tables": _BACKTEST_TEMP_TABLES})
    return values


def build_all(conn: duckdb.DuckDBPyConnection, as_of: date,
              settings: RecommendationSettings) -> dict[str, dict[str, float | None]]:
    """analytics.recommendations as of ``as_of`` and analytics.recommendation_metrics (the backtest)."""
    build_recommendations(conn, as_of, settings)
    return build_recommendation_metrics(conn, as_of, settings)
