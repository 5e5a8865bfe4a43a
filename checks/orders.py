"""Referential integrity of the core tables, as DuckDB SQL, run as Dagster asset checks.

- ``orders_have_known_customers`` on core/orders (blocking, ERROR): every order points at a customer
  in core.customers. Customer reports and the customer 360 would otherwise lose revenue silently.
- ``order_lines_have_orders`` on core/order_lines (ERROR, not blocking): every order line belongs to an
  order in core.orders. It must run after core.orders, which is itself built from core.order_lines,
  so it cannot gate core.orders (that would be a cycle); it catches a core.orders left stale when
  only core.order_lines was rebuilt.

Outcomes go to ``quality.validation_results`` like the GX suites (expectation = the check's rule).
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

import duckdb

from assets.common.sql import SqlFolder
from checks.common.results import Outcome
from checks.common.running import invariant_check, query_outcome

SQL = SqlFolder(__file__)


@dataclass(frozen=True)
class Reference:
    """Rows of a child table whose ``column`` value has no row in the parent table (NULL counts as
    missing): the queries of ``sql/orders.sql`` counting the child rows and listing the orphans."""

    rows_query: str
    orphans_query: str
    column: str
    rule: str
    description: str


ORDERS_TO_CUSTOMERS = Reference(
    rows_query="orders",
    orphans_query="orders_without_known_customer",
    column="customer_id",
    rule="expect_customer_id_to_exist_in_core_customers",
    description="every order's customer_id exists in core.customers",
)

ORDER_LINES_TO_ORDERS = Reference(
    rows_query="order_lines",
    orphans_query="order_lines_without_order",
    column="order_id",
    rule="expect_order_id_to_exist_in_core_orders",
    description="every order line's order_id exists in core.orders",
)


def missing_references(conn: duckdb.DuckDBPyConnection, ref: Reference) -> Outcome:
    """Count the child rows pointing nowhere and give up to 10 of them as ``key → value``."""
    queries = SQL.named("orders")
    total = conn.execute(queries[ref.rows_query]).fetchone()[0]
    return query_outcome(conn, expectation=ref.rule, column=ref.column, description=ref.description, total=total,
                         failing_sql=queries[ref.orphans_query])


def orders_point_at_customers(conn: duckdb.DuckDBPyConnection, _as_of: date,
                              _rules: Mapping[str, Any]) -> list[Outcome]:
    """Every order belongs to a known customer: its customer_id exists in core.customers (severity
    ERROR, blocking). A failure means some orders would drop out of customer figures (revenue,
    order counts, recency), so the analytics built on core.orders are not rebuilt in this run; the
    metadata lists sample orders and the customer ids they point at."""
    return [missing_references(conn, ORDERS_TO_CUSTOMERS)]


def order_lines_point_at_orders(conn: duckdb.DuckDBPyConnection, _as_of: date,
                                _rules: Mapping[str, Any]) -> list[Outcome]:
    """Every order line belongs to an order in core.orders (severity ERROR). It runs after
    core.orders is rebuilt from these lines, so it cannot hold core.orders back; a failure means
    core.orders is out of date (typically only core.order_lines was rematerialised): rematerialise
    core/orders. The metadata lists sample lines and the order ids they point at."""
    return [missing_references(conn, ORDER_LINES_TO_ORDERS)]


orders_have_known_customers = invariant_check(
    "core.orders", orders_point_at_customers, name="orders_have_known_customers", blocking=True,
    additional_deps=["core.customers"])
order_lines_have_orders = invariant_check(
    "core.order_lines", order_lines_point_at_orders, name="order_lines_have_orders",
    additional_deps=["core.orders"])


INTEGRITY_CHECKS = [orders_have_known_customers, order_lines_have_orders]
