"""Invariants of analytics.cohort_retention, run as a Dagster asset check (severity ERROR).

``cohort_retention_consistent``: month 0 of every cohort is 100% retained; retention stays within
0–100%; every cohort has one row per month from its first up to the as-of month; the cohorts hold
every buying customer exactly once and all completed revenue up to the as-of date (reconciled with
core.orders).
"""

from datetime import date

import duckdb
from dagster import AssetKey

from assets.common.sql import SqlFolder
from checks.analytics.lifecycle import outcome_of
from checks.common.results import Outcome
from checks.common.running import invariant_check

SQL = SqlFolder(__file__)
_ROWS = "SELECT count(*) FROM analytics.cohort_retention"


def cohort_outcomes(conn: duckdb.DuckDBPyConnection, as_of: date) -> list[Outcome]:
    """The cohort table's invariants, reconciled with core.orders up to ``as_of``."""
    params = {"as_of": as_of}
    failing = SQL.named("cohorts")
    return [
        outcome_of(
            conn,
            expectation="expect_month_zero_to_be_fully_retained",
            column="customer_retention",
            description="at months_since 0, active_customers = cohort_customers, customer_retention = 1 and "
                        "revenue_retention = 1 (empty when the month-0 revenue is 0)",
            total_sql="SELECT count(*) FROM analytics.cohort_retention WHERE months_since = 0",
            failing_sql=failing["month_zero_not_fully_retained"],
        ),
        outcome_of(
            conn,
            expectation="expect_customer_retention_to_be_between_0_and_1",
            column="customer_retention",
            description="0 ≤ active_customers ≤ cohort_customers and customer_retention = active ÷ cohort",
            total_sql=_ROWS,
            failing_sql=failing["retention_out_of_range"],
        ),
        outcome_of(
            conn,
            expectation="expect_one_row_per_month_up_to_as_of",
            column="months_since",
            description="every cohort has exactly the months_since 0, 1, … up to the as-of month",
            total_sql="SELECT count(DISTINCT cohort_month) FROM analytics.cohort_retention",
            failing_sql=failing["months_missing_or_extra"],
            parameters=params,
        ),
        outcome_of(
            conn,
            expectation="expect_cohorts_to_reconcile_with_orders",
            column="cohort_customers, revenue",
            description="Σ cohort_customers = customers with a completed order up to the as-of date, and "
                        "Σ revenue = their completed revenue up to the as-of date (core.orders)",
            total_sql="SELECT 2",
            failing_sql=failing["cohorts_not_reconciled"],
            parameters=params,
        ),
    ]


COHORT_CHECKS = [
    invariant_check(
        table="analytics.cohort_retention",
        name="cohort_retention_consistent",
        additional_deps=[AssetKey(["core", "orders"])],
        description="Cohort retention is internally consistent and reconciles with core.orders (severity "
        "ERROR): month 0 of every cohort is 100% retained (customers and revenue); retention stays within "
        "0–100%; each cohort has one row per month up to the as-of month; the cohorts hold every customer "
        "with a completed order up to the as-of date once and all of their completed revenue. The metadata "
        "names the failing cohorts.",
        compute=lambda conn, as_of, _rules: cohort_outcomes(conn, as_of),
    ),
]
