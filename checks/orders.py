"""Referential integrity of the core tables, as DuckDB SQL, run as Dagster asset checks.

- ``orders_have_known_customers`` on core/orders (blocking, ERROR): every order points at a customer
  in core.customers. Customer reports and the customer 360 would otherwise lose revenue silently.
- ``order_lines_have_orders`` on core/order_lines (ERROR, not blocking): every order line belongs to an
  order in core.orders. It must run after core.orders, which is itself built from core.order_lines,
  so it cannot gate core.orders (that would be a cycle); it catches a core.orders left stale when
  only core.order_lines was rebuilt.

Outcomes go to ``quality.validation_results`` like the GX suites (expectation = the check's rule).
"""

from dataclasses import dataclass

import duckdb
from dagster import (
    AssetCheckExecutionContext,
    AssetCheckResult,
    AssetKey,
    asset_check,
)

from assets.common.resources import PipelineSettings, Warehouse
from checks.common.results import SAMPLE_LIMIT, Outcome, masked_samples
from checks.common.running import run_check


@dataclass(frozen=True)
class Reference:
    """Rows of ``child`` whose ``column`` value has no row in ``parent`` (NULL counts as missing)."""

    check_name: str
    child: str
    parent: str
    column: str
    child_key: str
    parent_column: str
    rule: str
    description: str


ORDERS_TO_CUSTOMERS = Reference(
    check_name="orders_have_known_customers",
    child="core.orders",
    parent="core.customers",
    column="customer_id",
    child_key="order_id",
    parent_column="customer_id",
    rule="expect_customer_id_to_exist_in_core_customers",
    description="every order's customer_id exists in core.customers",
)

ORDER_LINES_TO_ORDERS = Reference(
    check_name="order_lines_have_orders",
    child="core.order_lines",
    parent="core.orders",
    column="order_id",
    child_key="order_id || '#' || line_no",
    parent_column="order_id",
    rule="expect_order_id_to_exist_in_core_orders",
    description="every order line's order_id exists in core.orders",
)


def missing_references(conn: duckdb.DuckDBPyConnection, ref: Reference) -> Outcome:
    """Count the child rows pointing nowhere and give up to 10 of them as ``key → value``."""
    orphan = (
        f"FROM {ref.child} c WHERE c.{ref.column} IS NULL OR NOT EXISTS "
        f"(SELECT 1 FROM {ref.parent} p WHERE p.{ref.parent_column} = c.{ref.column})"
    )
    total = conn.execute(f"SELECT count(*) FROM {ref.child}").fetchone()[0]
    missing = conn.execute(f"SELECT count(*) {orphan}").fetchone()[0]
    samples = conn.execute(
        f"SELECT {ref.child_key} AS k, c.{ref.column} {orphan} ORDER BY k LIMIT {SAMPLE_LIMIT}"
    ).fetchall()
    return Outcome(
        expectation=ref.rule,
        column=ref.column,
        description=ref.description,
        success=missing == 0,
        element_count=int(total),
        unexpected_count=int(missing),
        unexpected_percent=100.0 * missing / total if total else 0.0,
        samples=masked_samples((f"{k} → {v if v is not None else '(empty)'}" for k, v in samples), column=None),
    )


def _evaluate(context, warehouse: Warehouse, settings: PipelineSettings, ref: Reference, severity: str
              ) -> AssetCheckResult:
    return run_check(context, warehouse, settings, check_name=ref.check_name, table=ref.child,
                     compute=lambda conn, _as_of: [missing_references(conn, ref)], severity=severity)


@asset_check(
    asset=AssetKey(["core", "orders"]),
    name=ORDERS_TO_CUSTOMERS.check_name,
    blocking=True,
    additional_deps=[AssetKey(["core", "customers"])],
    description="Every order belongs to a known customer: its customer_id exists in core.customers "
    "(severity ERROR, blocking). A failure means some orders would drop out of customer figures "
    "(revenue, order counts, recency), so the analytics built on core.orders are not rebuilt in this "
    "run; the metadata lists sample orders and the customer ids they point at.",
)
def orders_have_known_customers(context: AssetCheckExecutionContext, warehouse: Warehouse,
                                settings: PipelineSettings) -> AssetCheckResult:
    return _evaluate(context, warehouse, settings, ORDERS_TO_CUSTOMERS, "ERROR")


@asset_check(
    asset=AssetKey(["core", "order_lines"]),
    name=ORDER_LINES_TO_ORDERS.check_name,
    additional_deps=[AssetKey(["core", "orders"])],
    description="Every order line belongs to an order in core.orders (severity ERROR). It runs after "
    "core.orders is rebuilt from these lines, so it cannot hold core.orders back; a failure means "
    "core.orders is out of date (typically only core.order_lines was rematerialised): rematerialise "
    "core/orders. The metadata lists sample lines and the order ids they point at.",
)
def order_lines_have_orders(context: AssetCheckExecutionContext, warehouse: Warehouse,
                            settings: PipelineSettings) -> AssetCheckResult:
    return _evaluate(context, warehouse, settings, ORDER_LINES_TO_ORDERS, "ERROR")


INTEGRITY_CHECKS = [orders_have_known_customers, order_lines_have_orders]
