-- An order's status is the status of its first line; only completed orders are revenue.
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
ORDER BY order_id;
