"""Invariants of analytics.recommendations, run as Dagster asset checks (severity ERROR):

- ``recommendations_ranked_lists``: each customer has at most ``recommendations.top_n`` rows, ranked
  1..n without gaps or repeats, each a different, non-empty sku, with source co_purchase or popular.
- ``recommendations_exclude_recent_purchases``: no customer is recommended a sku it bought (completed
  order line) in the ``recommendations.exclude_recent_days`` days up to the as-of date.

Outcomes are appended to ``quality.validation_results`` like every other check.
"""

from datetime import date

import duckdb
from dagster import (
    AssetCheckExecutionContext,
    AssetCheckResult,
    AssetKey,
    asset_check,
)

from assets.analytics.recommendations.logic import RecommendationSettings, has_order_lines
from assets.common.resources import PipelineSettings, Warehouse
from checks.common.results import Outcome
from checks.common.running import query_outcome, run_check

TABLE = "analytics.recommendations"


_LIST = ("coalesce(customer_id, '(empty)') || ': ' || string_agg(coalesce(CAST(rank AS VARCHAR), '(empty)') || '='"
         " || coalesce(sku, '(empty)'), ', ' ORDER BY rank, sku)")


def ranked_list_outcomes(conn: duckdb.DuckDBPyConnection, settings: RecommendationSettings) -> list[Outcome]:
    """At most top_n rows per customer, ranks 1..n contiguous, distinct non-empty skus, known source."""
    customers = int(conn.execute(f"SELECT count(DISTINCT customer_id) FROM {TABLE}").fetchall()[0][0])
    rows = int(conn.execute(f"SELECT count(*) FROM {TABLE}").fetchall()[0][0])
    top_n = int(settings.top_n)
    return [
        query_outcome(conn, expectation="expect_at_most_top_n_per_customer", column="customer_id",
                 description=f"no customer has more than recommendations.top_n = {top_n} rows (nor an empty id)",
                 total=customers,
                 failing_sql=f"SELECT {_LIST} AS sample FROM {TABLE} GROUP BY customer_id "
                             f"HAVING count(*) > {top_n} OR customer_id IS NULL"),
        query_outcome(conn, expectation="expect_contiguous_ranks", column="rank",
                 description="each customer's ranks are 1, 2, … n without gaps or repeats", total=customers,
                 failing_sql=f"SELECT {_LIST} AS sample FROM {TABLE} GROUP BY customer_id "
                             "HAVING count(rank) <> count(*) OR min(rank) <> 1 OR max(rank) <> count(*) "
                             "OR count(DISTINCT rank) <> count(*)"),
        query_outcome(conn, expectation="expect_distinct_skus_per_customer", column="sku",
                 description="each customer's recommended skus are different and not empty", total=customers,
                 failing_sql=f"SELECT {_LIST} AS sample FROM {TABLE} GROUP BY customer_id "
                             "HAVING count(sku) <> count(*) OR count(DISTINCT sku) <> count(*)"),
        query_outcome(conn, expectation="expect_known_source", column="source",
                 description="source is co_purchase or popular", total=rows,
                 failing_sql=f"SELECT coalesce(customer_id, '(empty)') || ' #' || coalesce(CAST(rank AS VARCHAR), "
                             f"'(empty)') || ' → ' || coalesce(source, '(empty)') AS sample FROM {TABLE} "
                             "WHERE source IS NULL OR source NOT IN ('co_purchase', 'popular')"),
    ]


def recent_purchase_outcomes(conn: duckdb.DuckDBPyConnection, as_of: date,
                             settings: RecommendationSettings) -> list[Outcome]:
    """No recommended sku was bought by the customer in the exclude_recent_days up to as-of."""
    rows = int(conn.execute(f"SELECT count(*) FROM {TABLE}").fetchall()[0][0])
    days = int(settings.exclude_recent_days)
    description = (f"no customer is recommended a sku it bought in the {days} days up to the as-of date "
                   "(recommendations.exclude_recent_days)")
    if not has_order_lines(conn):
        return [Outcome(expectation="expect_no_recent_purchase_recommended", column="sku",
                        description=description + "; core.order_lines does not exist", success=True,
                        element_count=rows, unexpected_count=0, unexpected_percent=0.0)]
    return [query_outcome(
        conn, expectation="expect_no_recent_purchase_recommended", column="sku", description=description,
        total=rows, params={"as_of": as_of},
        failing_sql=f"""SELECT r.customer_id || ' → ' || r.sku AS sample FROM {TABLE} r
            SEMI JOIN core.order_lines l ON l.customer_id = r.customer_id AND l.sku = r.sku
                AND l.status = 'completed' AND l.order_date <= CAST($as_of AS DATE)
                AND l.order_date > CAST($as_of AS DATE) - {days}""",
    )]


def _evaluate(context, warehouse: Warehouse, settings: PipelineSettings, check_name: str, which: str
              ) -> AssetCheckResult:
    reco_settings = RecommendationSettings.from_thresholds(settings.rules())

    def compute(conn: duckdb.DuckDBPyConnection, as_of: date) -> list[Outcome]:
        if which == "lists":
            return ranked_list_outcomes(conn, reco_settings)
        return recent_purchase_outcomes(conn, as_of, reco_settings)

    return run_check(context, warehouse, settings, check_name=check_name, table=TABLE, compute=compute)


@asset_check(
    asset=AssetKey(["analytics", "recommendations"]),
    name="recommendations_ranked_lists",
    description="Every customer in analytics.recommendations has at most recommendations.top_n (3) rows, ranked "
    "1, 2, … without gaps or repeats, each recommending a different, non-empty sku, with source co_purchase or "
    "popular (severity ERROR). A failure means the lists shown to account managers are malformed: rematerialise "
    "analytics/recommendations; the metadata lists sample customers with their ranked skus.",
)
def recommendations_ranked_lists(context: AssetCheckExecutionContext, warehouse: Warehouse,
                                 settings: PipelineSettings) -> AssetCheckResult:
    return _evaluate(context, warehouse, settings, "recommendations_ranked_lists", "lists")


@asset_check(
    asset=AssetKey(["analytics", "recommendations"]),
    name="recommendations_exclude_recent_purchases",
    additional_deps=[AssetKey(["core", "order_lines"])],
    description="No customer is recommended a product (sku) it bought in a completed order line in the "
    "recommendations.exclude_recent_days (90) days up to the as-of date the table was built for (severity "
    "ERROR). A failure usually means core/order_lines changed after analytics/recommendations was built: "
    "rematerialise it; the metadata lists sample customer → sku pairs.",
)
def recommendations_exclude_recent_purchases(context: AssetCheckExecutionContext, warehouse: Warehouse,
                                             settings: PipelineSettings) -> AssetCheckResult:
    return _evaluate(context, warehouse, settings, "recommendations_exclude_recent_purchases", "recent")


RECOMMENDATION_CHECKS = [recommendations_ranked_lists, recommendations_exclude_recent_purchases]
