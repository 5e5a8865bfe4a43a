"""Invariants of analytics.cohort_retention, run as a Dagster asset check (severity ERROR).

``cohort_retention_consistent``: month 0 of every cohort is 100% retained; retention stays within
0–100%; every cohort has one row per month from its first up to the as-of month; the cohorts hold
every buying customer exactly once and all completed revenue up to the as-of date (reconciled with
core.orders).
"""

from datetime import date

import duckdb
from dagster import AssetCheckExecutionContext, AssetCheckResult, AssetKey, asset_check

from assets.common.resources import PipelineSettings, Warehouse
from checks.analytics.lifecycle import outcome_of
from checks.common.results import Outcome
from checks.common.running import run_check

_ROWS = "SELECT count(*) FROM analytics.cohort_retention"


def cohort_outcomes(conn: duckdb.DuckDBPyConnection, as_of: date) -> list[Outcome]:
    """The cohort table's invariants, reconciled with core.orders up to ``as_of``."""
    params = {"as_of": as_of}
    return [
        outcome_of(
            conn,
            expectation="expect_month_zero_to_be_fully_retained",
            column="customer_retention",
            description="at months_since 0, active_customers = cohort_customers, customer_retention = 1 and "
                        "revenue_retention = 1 (empty when the month-0 revenue is 0)",
            total_sql="SELECT count(*) FROM analytics.cohort_retention WHERE months_since = 0",
            failing_sql="""
                SELECT cohort_month || ': active ' || active_customers || ' of ' || cohort_customers
                       || ', revenue retention ' || coalesce(CAST(revenue_retention AS VARCHAR), '(empty)') AS sample
                FROM analytics.cohort_retention
                WHERE months_since = 0
                  AND (active_customers <> cohort_customers OR customer_retention IS DISTINCT FROM 1.0
                       OR (revenue > 0 AND abs(revenue_retention - 1) > 1e-12)
                       OR (revenue = 0 AND revenue_retention IS NOT NULL))
                ORDER BY cohort_month""",
        ),
        outcome_of(
            conn,
            expectation="expect_customer_retention_to_be_between_0_and_1",
            column="customer_retention",
            description="0 ≤ active_customers ≤ cohort_customers and customer_retention = active ÷ cohort",
            total_sql=_ROWS,
            failing_sql="""
                SELECT cohort_month || ' +' || months_since || ': ' || active_customers || ' of '
                       || cohort_customers AS sample
                FROM analytics.cohort_retention
                WHERE active_customers < 0 OR active_customers > cohort_customers
                   OR abs(customer_retention - active_customers / cohort_customers) > 1e-12
                ORDER BY cohort_month, months_since""",
        ),
        outcome_of(
            conn,
            expectation="expect_one_row_per_month_up_to_as_of",
            column="months_since",
            description="every cohort has exactly the months_since 0, 1, … up to the as-of month",
            total_sql="SELECT count(DISTINCT cohort_month) FROM analytics.cohort_retention",
            failing_sql="""
                SELECT cohort_month || ': ' || count(*) || ' rows, months_since ' || min(months_since) || '–'
                       || max(months_since) AS sample
                FROM analytics.cohort_retention
                GROUP BY cohort_month
                HAVING count(*) <> count(DISTINCT months_since) OR min(months_since) <> 0
                    OR max(months_since) <> date_diff('month', cohort_month, CAST($as_of AS DATE))
                    OR count(*) <> max(months_since) + 1
                ORDER BY cohort_month""",
            parameters=params,
        ),
        outcome_of(
            conn,
            expectation="expect_cohorts_to_reconcile_with_orders",
            column="cohort_customers, revenue",
            description="Σ cohort_customers = customers with a completed order up to the as-of date, and "
                        "Σ revenue = their completed revenue up to the as-of date (core.orders)",
            total_sql="SELECT 2",
            failing_sql="""
                WITH orders AS (
                    SELECT count(DISTINCT customer_id) AS customers, coalesce(sum(amount), 0) AS revenue
                    FROM core.orders
                    WHERE is_revenue AND order_date <= $as_of AND customer_id IS NOT NULL
                ),
                cohorts AS (
                    SELECT coalesce(sum(cohort_customers) FILTER (WHERE months_since = 0), 0) AS customers,
                           coalesce(sum(revenue), 0) AS revenue
                    FROM analytics.cohort_retention
                )
                SELECT 'customers: cohorts ' || c.customers || ', orders ' || o.customers AS sample
                FROM cohorts c, orders o WHERE c.customers <> o.customers
                UNION ALL
                SELECT 'revenue: cohorts ' || c.revenue || ', orders ' || o.revenue
                FROM cohorts c, orders o WHERE c.revenue <> o.revenue""",
            parameters=params,
        ),
    ]


@asset_check(
    asset=AssetKey(["analytics", "cohort_retention"]),
    name="cohort_retention_consistent",
    additional_deps=[AssetKey(["core", "orders"])],
    description="Cohort retention is internally consistent and reconciles with core.orders (severity "
    "ERROR): month 0 of every cohort is 100% retained (customers and revenue); retention stays within "
    "0–100%; each cohort has one row per month up to the as-of month; the cohorts hold every customer "
    "with a completed order up to the as-of date once and all of their completed revenue. The metadata "
    "names the failing cohorts.",
)
def cohort_retention_consistent(context: AssetCheckExecutionContext, warehouse: Warehouse,
                                settings: PipelineSettings) -> AssetCheckResult:
    return run_check(context, warehouse, settings, check_name="cohort_retention_consistent",
                    table="analytics.cohort_retention", compute=cohort_outcomes)


COHORT_CHECKS = [cohort_retention_consistent]
