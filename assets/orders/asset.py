"""Orders: the sales order lines and orders of the core layer, with the resolved customer."""

from dagster import MaterializeResult

from assets.common.metadata import table_metadata
from assets.common.resources import Warehouse
from assets.common.table_asset import table_asset
from assets.orders.logic import build_order_lines, build_orders


@table_asset("core.order_lines", deps=["core.identity_map"])
def order_lines(warehouse: Warehouse) -> MaterializeResult:
    """One row per product line of a sales order, with the resolved customer_id. Amounts are
    numbers; status is completed, refunded or cancelled (only completed lines are revenue)."""
    with warehouse.connect() as conn:
        build_order_lines(conn)
        return MaterializeResult(metadata=table_metadata(conn, "core.order_lines"))


@table_asset("core.orders", deps=["core.order_lines"])
def orders(warehouse: Warehouse) -> MaterializeResult:
    """One row per sales order: customer, date, channel, region, status, number of lines, quantity and
    amount (sum of its lines). is_revenue is true only for completed orders, so refunds and
    cancellations never count as revenue by accident."""
    with warehouse.connect() as conn:
        build_orders(conn)
        return MaterializeResult(metadata=table_metadata(conn, "core.orders"))


ORDER_ASSETS = [order_lines, orders]
