"""Customer 360: one profile row per customer with its purchase facts as of the analysis date."""


from datetime import date

import duckdb
from dagster import AssetKey, MaterializeResult, MetadataValue, asset

from assets.as_of import resolve_as_of
from assets.metadata import table_metadata
from pipelines.resources import PipelineSettings, Warehouse

CUSTOMER_360_SQL = """
CREATE OR REPLACE TABLE analytics.customer_360 AS
WITH purchases AS (
    SELECT customer_id,
           min(order_date) AS first_order_date,
           max(order_date) AS last_order_date,
           count(*) AS orders,
           CAST(sum(amount) AS DECIMAL(18, 2)) AS revenue
    FROM core.orders
    WHERE is_revenue AND order_date <= $as_of
    GROUP BY customer_id
)
SELECT c.customer_id, c.company, c.industry, c.company_size, c.region, c.owner,
       p.first_order_date, p.last_order_date,
       coalesce(p.orders, 0) AS orders,
       coalesce(p.revenue, 0) AS revenue,
       CAST(p.revenue / p.orders AS DECIMAL(18, 2)) AS average_order_value,
       date_diff('day', p.last_order_date, $as_of) AS recency_days,
       date_diff('day', p.first_order_date, $as_of) AS tenure_days,
       CAST($as_of AS DATE) AS as_of
FROM core.customers c
LEFT JOIN purchases p USING (customer_id)
ORDER BY c.customer_id
"""


def build_customer_360(conn: duckdb.DuckDBPyConnection, as_of: date) -> None:
    """Rebuild analytics.customer_360 as of the given date (orders after it are ignored)."""
    conn.execute(CUSTOMER_360_SQL, {"as_of": as_of})


@asset(
    key=["analytics", "customer_360"],
    group_name="analytics",
    kinds={"duckdb"},
    deps=[AssetKey(["core", "customers"]), AssetKey(["core", "orders"])],
)
def customer_360(warehouse: Warehouse, settings: PipelineSettings) -> MaterializeResult:
    """One row per customer (prospects included) with purchase facts as of the analysis date:
    first and last order date, number of completed orders, revenue, average order value (revenue ÷
    orders), recency_days (days since the last order) and tenure_days (days since the first order).
    Refunded and cancelled orders and orders after the as-of date are not counted. Prospects who
    never bought have 0 orders, 0 revenue and empty dates."""
    with warehouse.connect() as conn:
        as_of = resolve_as_of(conn, settings.as_of_date())
        build_customer_360(conn, as_of)
        return MaterializeResult(
            metadata=table_metadata(conn, "analytics.customer_360", as_of=MetadataValue.text(as_of.isoformat()))
        )


CUSTOMER_360_ASSETS = [customer_360]
