"""Order lines and orders attached to resolved customers.

An order's status is the status of its first line; only ``completed`` orders count as revenue
(refunds and cancellations are kept, flagged, and excluded from revenue figures).
"""

from __future__ import annotations

ORDER_LINES_SQL = """
CREATE OR REPLACE TABLE core.order_lines AS
SELECT l.order_id, l.line_no, m.customer_id, l.customer_code, l.order_ts, l.order_date, l.sku,
       l.product_name, l.category, l.quantity, l.unit_price, l.discount, l.amount, l.channel,
       l.region, l.status, l._source_file, l._row_number
FROM staging.sales_order_lines l
JOIN core.identity_map m ON m.source = 'sales_order_lines' AND m.source_key = l.customer_code
ORDER BY l.order_id, l.line_no
"""

ORDERS_SQL = """
CREATE OR REPLACE TABLE core.orders AS
SELECT order_id,
       arg_min(customer_id, line_no) AS customer_id,
       min(order_ts) AS order_ts,
       CAST(min(order_ts) AS DATE) AS order_date,
       arg_min(channel, line_no) AS channel,
       arg_min(region, line_no) AS region,
       arg_min(status, line_no) AS status,
       count(*) AS line_count,
       sum(quantity) AS quantity,
       CAST(sum(amount) AS DECIMAL(18, 2)) AS amount,
       arg_min(status, line_no) = 'completed' AS is_revenue
FROM core.order_lines
GROUP BY order_id
ORDER BY order_id
"""
