"""Cohort retention: customers grouped by the month of their first completed order, followed month by
month (customers still buying, and their revenue)."""


from datetime import date

import duckdb
from dagster import MaterializeResult, MetadataValue

from assets.common.metadata import materialize_as_of
from assets.common.resources import PipelineSettings, Warehouse
from assets.common.sql import SqlFolder
from assets.common.table_asset import table_asset

SQL = SqlFolder(__file__)


def build_cohort_retention(conn: duckdb.DuckDBPyConnection, as_of: date) -> None:
    """Rebuild analytics.cohort_retention as of the given date (orders after it are ignored)."""
    SQL.run(conn, "cohort_retention", as_of=as_of)


@table_asset("analytics.cohort_retention", deps=["core.orders"])
def cohort_retention(warehouse: Warehouse, settings: PipelineSettings) -> MaterializeResult:
    """Cohort retention (留存): one row per cohort and month since its first purchase.

    A cohort (cohort_month) is the customers whose first completed order fell in that calendar
    month. For every month from the cohort's first (months_since = 0) up to the as-of month:

    - month: the calendar month (cohort_month + months_since months), shown as its first day;
    - cohort_customers: customers in the cohort (the same on every row of the cohort);
    - active_customers: cohort customers with at least one completed order in that month;
    - customer_retention = active_customers ÷ cohort_customers (1.0 at months_since 0);
    - revenue: completed-order amount of the cohort's customers in that month (CNY);
    - revenue_retention = revenue ÷ the cohort's revenue in months_since 0 (1.0 at months_since 0;
      empty when the first month's revenue is 0).

    Only completed orders count (refunds and cancellations never do); orders after the as-of date
    are ignored, so the as-of month is a partial month. Months without purchases are listed with 0.
    Prospects and customers who never completed an order belong to no cohort. Rows are ordered by
    cohort_month, months_since; every row carries the as_of date."""

    def build(conn: duckdb.DuckDBPyConnection, as_of: date) -> dict[str, MetadataValue]:
        build_cohort_retention(conn, as_of)
        cohorts = conn.execute(
            "SELECT count(*), coalesce(sum(cohort_customers), 0) FROM analytics.cohort_retention "
            "WHERE months_since = 0"
        ).fetchone()
        return {"cohorts": MetadataValue.int(int(cohorts[0])),
                "customers_in_cohorts": MetadataValue.int(int(cohorts[1]))}

    return materialize_as_of(warehouse, settings, "analytics.cohort_retention", build)


COHORT_ASSETS = [cohort_retention]
