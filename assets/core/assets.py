"""Core layer: one customer across the four systems, and the orders attached to it."""


from dagster import AssetKey, MaterializeResult, asset

from assets.core.identity_sql import CUSTOMERS_SQL, IDENTITY_MAP_SQL
from assets.core.orders_sql import ORDER_LINES_SQL, ORDERS_SQL
from assets.metadata import table_metadata
from pipelines.resources import Warehouse

STAGING_KINDS = ["crm_accounts", "sales_order_lines", "service_tickets", "service_nps", "email_events"]


@asset(
    key=["core", "identity_map"],
    group_name="core",
    kinds={"duckdb"},
    deps=[AssetKey(["staging", k]) for k in STAGING_KINDS],
)
def identity_map(warehouse: Warehouse) -> MaterializeResult:
    """Which customer each source record belongs to: one row per (source, source_key).

    source is the export kind (crm_accounts, sales_order_lines, service_tickets, service_nps,
    email_events); source_key is the record's key in that system (CRM account id, sales customer
    code, ticket id, NPS answer id, e-mail address); match_rule says how it was linked (crm account,
    crm sales code, sales only, phone, email, unmatched) and confidence how sure the link is (0-1).
    """
    with warehouse.connect() as conn:
        conn.execute(IDENTITY_MAP_SQL)
        return MaterializeResult(metadata=table_metadata(conn, "core.identity_map"))


@asset(key=["core", "customers"], group_name="core", kinds={"duckdb"}, deps=[identity_map])
def customers(warehouse: Warehouse) -> MaterializeResult:
    """One row per resolved customer: every CRM account (prospects included) plus every sales customer
    code no CRM account lists. Carries the CRM's descriptive fields (company, industry, size,
    region, owner, contact name) and raw contact details (phone in E.164, e-mail), which stay in the
    core layer; analytics tables show them masked."""
    with warehouse.connect() as conn:
        conn.execute(CUSTOMERS_SQL)
        return MaterializeResult(metadata=table_metadata(conn, "core.customers"))


@asset(key=["core", "order_lines"], group_name="core", kinds={"duckdb"}, deps=[identity_map])
def order_lines(warehouse: Warehouse) -> MaterializeResult:
    """One row per product line of a sales order, with the resolved customer_id. Amounts are
    numbers; status is completed, refunded or cancelled (only completed lines are revenue)."""
    with warehouse.connect() as conn:
        conn.execute(ORDER_LINES_SQL)
        return MaterializeResult(metadata=table_metadata(conn, "core.order_lines"))


@asset(key=["core", "orders"], group_name="core", kinds={"duckdb"}, deps=[order_lines])
def orders(warehouse: Warehouse) -> MaterializeResult:
    """One row per sales order: customer, date, channel, region, status, number of lines, quantity and
    amount (sum of its lines). is_revenue is true only for completed orders, so refunds and
    cancellations never count as revenue by accident."""
    with warehouse.connect() as conn:
        conn.execute(ORDERS_SQL)
        return MaterializeResult(metadata=table_metadata(conn, "core.orders"))


CORE_ASSETS = [identity_map, customers, order_lines, orders]
