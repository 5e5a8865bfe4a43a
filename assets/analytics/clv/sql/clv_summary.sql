-- Temp table clv_summary: one row per customer with a completed order on or before $as_of, in
-- purchase days (several completed orders on one day are one purchase).
CREATE OR REPLACE TEMP TABLE clv_summary AS
WITH days AS (
    SELECT customer_id, order_date, sum(amount) AS revenue
    FROM core.orders
    WHERE status = 'completed' AND order_date <= $as_of AND customer_id IS NOT NULL
    GROUP BY customer_id, order_date
), per_customer AS (
    SELECT customer_id, min(order_date) AS first_day, max(order_date) AS last_day,
           count(*) AS purchase_days, sum(revenue) AS revenue
    FROM days GROUP BY customer_id
)
SELECT p.customer_id,
       (p.purchase_days - 1)::INTEGER AS frequency,
       date_diff('day', p.first_day, p.last_day)::INTEGER AS recency_days,
       date_diff('day', p.first_day, $as_of::DATE)::INTEGER AS t_days,
       CASE WHEN p.purchase_days > 1
            THEN ((p.revenue - f.revenue) / (p.purchase_days - 1))::DOUBLE ELSE 0 END AS monetary,
       f.revenue::DOUBLE AS first_spend
FROM per_customer p
JOIN days f ON f.customer_id = p.customer_id AND f.order_date = p.first_day
ORDER BY p.customer_id
