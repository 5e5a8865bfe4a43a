"""Invariants of analytics.recommendations, run as Dagster asset checks (severity ERROR):

- ``recommendations_ranked_lists``: each customer has at most ``recommendations.top_n`` rows, ranked
  1..n without gaps or repeats, each a different, non-empty sku, with source co_purchase or popular.
- ``recommendations_exclude_recent_purchases``: no customer is recommended a sku it bought (completed
  order line) in the ``recommendations.exclude_recent_days`` days up to the as-of date.

Outcomes are appended to ``quality.validation_results`` like every other check. The failing-row
queries are in ``sql/recommendations.sql``.
"""

from collections.abc import Mapping
from datetime import date
from typing import Any

import duckdb

from assets.analytics.recommendations.logic import has_order_lines
from assets.analytics.recommendations.settings import RecommendationSettings
from assets.common.sql import SqlFolder
from checks.common.results import Outcome, counted_outcome
from checks.common.running import invariant_check, query_outcome

TABLE = "analytics.recommendations"
SQL = SqlFolder(__file__)


def _failing(query: str) -> str:
    return SQL.named("recommendations")[query]


def _sizes(conn: duckdb.DuckDBPyConnection) -> tuple[int, int]:
    """(customers, rows) of the table."""
    customers, rows = conn.execute(f"SELECT count(DISTINCT customer_id), count(*) FROM {TABLE}").fetchall()[0]
    return int(customers), int(rows)


def ranked_list_outcomes(conn: duckdb.DuckDBPyConnection, settings: RecommendationSettings) -> list[Outcome]:
    """At most top_n rows per customer, ranks 1..n contiguous, distinct non-empty skus, known source."""
    customers, rows = _sizes(conn)
    top_n = int(settings.top_n)
    return [
        query_outcome(conn, expectation="expect_at_most_top_n_per_customer", column="customer_id",
                      description=f"no customer has more than recommendations.top_n = {top_n} rows (nor an empty id)",
                      total=customers, failing_sql=_failing("more_than_top_n"), params={"top_n": top_n}),
        query_outcome(conn, expectation="expect_contiguous_ranks", column="rank",
                      description="each customer's ranks are 1, 2, … n without gaps or repeats", total=customers,
                      failing_sql=_failing("ranks_not_contiguous")),
        query_outcome(conn, expectation="expect_distinct_skus_per_customer", column="sku",
                      description="each customer's recommended skus are different and not empty", total=customers,
                      failing_sql=_failing("skus_repeated_or_empty")),
        query_outcome(conn, expectation="expect_known_source", column="source",
                      description="source is co_purchase or popular", total=rows,
                      failing_sql=_failing("unknown_source")),
    ]


def recent_purchase_outcomes(conn: duckdb.DuckDBPyConnection, as_of: date,
                             settings: RecommendationSettings) -> list[Outcome]:
    """No recommended sku was bought by the customer in the exclude_recent_days up to as-of."""
    _customers, rows = _sizes(conn)
    days = int(settings.exclude_recent_days)
    description = (f"no customer is recommended a sku it bought in the {days} days up to the as-of date "
                   "(recommendations.exclude_recent_days)")
    if not has_order_lines(conn):
        return [counted_outcome("expect_no_recent_purchase_recommended", "sku",
                                description + "; core.order_lines does not exist", total=rows, failing=0)]
    return [query_outcome(
        conn, expectation="expect_no_recent_purchase_recommended", column="sku", description=description,
        total=rows, params={"as_of": as_of, "exclude_recent_days": days},
        failing_sql=_failing("recent_purchase_recommended"),
    )]


def recommendations_ranked_lists(conn: duckdb.DuckDBPyConnection, _as_of: date,
                                 rules: Mapping[str, Any]) -> list[Outcome]:
    """Every customer in analytics.recommendations has at most recommendations.top_n (3) rows, ranked
    1, 2, … without gaps or repeats, each recommending a different, non-empty sku, with source
    co_purchase or popular (severity ERROR). A failure means the lists shown to account managers
    are malformed: rematerialise analytics/recommendations; the metadata lists sample customers
    with their ranked skus."""
    return ranked_list_outcomes(conn, RecommendationSettings.from_thresholds(rules))


def recommendations_exclude_recent_purchases(conn: duckdb.DuckDBPyConnection, as_of: date,
                                             rules: Mapping[str, Any]) -> list[Outcome]:
    """No customer is recommended a product (sku) it bought in a completed order line in the
    recommendations.exclude_recent_days (90) days up to the as-of date the table was built for
    (severity ERROR). A failure usually means core/order_lines changed after
    analytics/recommendations was built: rematerialise it; the metadata lists sample customer →
    sku pairs."""
    return recent_purchase_outcomes(
            conn, as_of, RecommendationSettings.from_thresholds(rules))


RECOMMENDATION_CHECKS = [
    invariant_check(TABLE, recommendations_ranked_lists),
    invariant_check(TABLE, recommendations_exclude_recent_purchases, additional_deps=["core.order_lines"]),
]
