"""Order lines and orders attached to resolved customers.

An order's status is the status of its first line; only ``completed`` orders count as revenue
(refunds and cancellations are kept, flagged, and excluded from revenue figures). The statements are
in ``sql/order_lines.sql`` and ``sql/orders.sql``.
"""

from __future__ import annotations

import duckdb

from assets.common.sql import SqlFolder

SQL = SqlFolder(__file__)


def build_order_lines(conn: duckdb.DuckDBPyConnection) -> None:
    """Rebuild ``core.order_lines`` from the staged sales order lines and ``core.identity_map``."""
    SQL.run(conn, "order_lines")


def build_orders(conn: duckdb.DuckDBPyConnection) -> None:
    """Rebuild ``core.orders`` from ``core.order_lines``."""
    SQL.run(conn, "orders")
