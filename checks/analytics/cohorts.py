"""Invariants of analytics.cohort_retention, run as a Dagster asset check (severity ERROR).

``cohort_retention_consistent``: month 0 of every cohort is 100% retained; retention stays within
0–100%; every cohort has one row per month from its first up to the as-of month; the cohorts hold
every buying customer exactly once and all completed revenue up to the as-of date (reconciled with
core.orders).
"""

from collections.abc import Mapping
from datetime import date
from typing import Any

import duckdb

from assets.common.sql import SqlFolder
from checks.common.results import Outcome
from checks.common.running import invariant_check, query_outcome

SQL = SqlFolder(__file__)


def cohort_outcomes(conn: duckdb.DuckDBPyConnection, as_of: date) -> list[Outcome]:
    """The cohort table's invariants, reconciled with core.orders up to ``as_of``."""
    params = {"as_of": as_of}
    queries = SQL.named("cohorts")
    month_zero_rows, rows, cohorts = (conn.execute(queries[name]).fetchone()[0]
                                      for name in ("month_zero_rows", "rows", "cohorts"))
    return [
        query_outcome(conn, "expect_month_zero_to_be_fully_retained", "customer_retention",
                      "at months_since 0, active_customers = cohort_customers, customer_retention = 1 and "
                      "revenue_retention = 1 (empty when the month-0 revenue is 0)",
                      month_zero_rows, queries["month_zero_not_fully_retained"], sort_samples=False),
        query_outcome(conn, "expect_customer_retention_to_be_between_0_and_1", "customer_retention",
                      "0 ≤ active_customers ≤ cohort_customers and customer_retention = active ÷ cohort",
                      rows, queries["retention_out_of_range"], sort_samples=False),
        query_outcome(conn, "expect_one_row_per_month_up_to_as_of", "months_since",
                      "every cohort has exactly the months_since 0, 1, … up to the as-of month",
                      cohorts, queries["months_missing_or_extra"], params, sort_samples=False),
        query_outcome(conn, "expect_cohorts_to_reconcile_with_orders", "cohort_customers, revenue",
                      "Σ cohort_customers = customers with a completed order up to the as-of date, and "
                      "Σ revenue = their completed revenue up to the as-of date (core.orders)",
                      2, queries["cohorts_not_reconciled"], params, sort_samples=False),
    ]


def cohort_retention_consistent(conn: duckdb.DuckDBPyConnection, as_of: date,
                                _rules: Mapping[str, Any]) -> list[Outcome]:
    """Cohort retention is internally consistent and reconciles with core.orders (severity ERROR):
    month 0 of every cohort is 100% retained (customers and revenue); retention stays within
    0–100%; each cohort has one row per month up to the as-of month; the cohorts hold every
    customer with a completed order up to the as-of date once and all of their completed
    revenue. The metadata names the failing cohorts."""
    return cohort_outcomes(conn, as_of)


COHORT_CHECKS = [
    invariant_check("analytics.cohort_retention", cohort_retention_consistent, additional_deps=["core.orders"]),
]
