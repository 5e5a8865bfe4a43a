-- analytics.lifecycle: the stage of every known customer on each snapshot date ($snapshots, DATE[]),
-- first matching rule wins (thresholds from [lifecycle], see assets/analytics/lifecycle/logic.py).
-- $stages and $stage_names: the stage codes and their Chinese names, in the same order.
CREATE OR REPLACE TABLE analytics.lifecycle AS
WITH snapshots AS (
    SELECT unnest(CAST($snapshots AS DATE[])) AS snapshot_date
),
purchase_days AS (        -- one row per customer and day with a completed order
    SELECT customer_id, order_date, count(*) AS orders
    FROM core.orders
    WHERE is_revenue AND order_date <= $as_of AND customer_id IS NOT NULL
    GROUP BY customer_id, order_date
),
gaps AS (
    SELECT *, date_diff('day', lag(order_date) OVER (PARTITION BY customer_id ORDER BY order_date),
                        order_date) AS gap_days
    FROM purchase_days
),
history AS (              -- what is known about the customer at the end of each purchase day
    SELECT customer_id, order_date AS last_order_date,
           min(order_date) OVER (PARTITION BY customer_id) AS first_order_date,
           sum(orders) OVER running AS orders_to_date,
           count(*) OVER running AS purchase_days,
           max(CASE WHEN gap_days >= $churn_days THEN order_date END) OVER running AS last_return_date
    FROM gaps
    WINDOW running AS (PARTITION BY customer_id ORDER BY order_date
                       ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
),
first_seen AS (
    SELECT customer_id, min(order_date) AS first_seen_date
    FROM core.orders
    WHERE customer_id IS NOT NULL
    GROUP BY customer_id
),
known AS (
    SELECT c.customer_id, least(c.created_date, f.first_seen_date) AS known_date
    FROM core.customers c
    LEFT JOIN first_seen f USING (customer_id)
),
grid AS (
    SELECT k.customer_id, s.snapshot_date
    FROM known k
    JOIN snapshots s ON k.known_date IS NULL OR k.known_date <= s.snapshot_date
),
facts AS (
    SELECT g.customer_id, g.snapshot_date, h.first_order_date, h.last_order_date, h.last_return_date,
           h.orders_to_date, h.purchase_days,
           date_diff('day', h.last_order_date, g.snapshot_date) AS days_since_last_order,
           date_diff('day', h.first_order_date, g.snapshot_date) AS tenure_days,
           CASE WHEN h.purchase_days >= 2
                THEN date_diff('day', h.first_order_date, h.last_order_date) / (h.purchase_days - 1)
           END AS usual_gap
    FROM grid g
    ASOF LEFT JOIN history h ON g.customer_id = h.customer_id AND g.snapshot_date >= h.last_order_date
),
staged AS (
    SELECT *,
           CASE
               WHEN orders_to_date IS NULL THEN 'potential'
               WHEN tenure_days <= $new_days THEN 'new'
               WHEN date_diff('day', last_return_date, snapshot_date) <= $reactivated_days THEN 'reactivated'
               WHEN days_since_last_order > $churn_days THEN 'churned'
               WHEN days_since_last_order >= $at_risk_min_days
                    AND (usual_gap IS NULL OR days_since_last_order > $gap_multiplier * usual_gap) THEN 'at_risk'
               WHEN orders_to_date >= $loyal_min_orders AND tenure_days >= $loyal_min_tenure_days THEN 'loyal'
               ELSE 'active'
           END AS stage
    FROM facts
)
SELECT customer_id, snapshot_date, snapshot_date = $as_of AS is_current, stage,
       CAST($stage_names AS VARCHAR[])[list_position($stages, stage)] AS stage_zh,
       days_since_last_order, round(usual_gap, 2) AS usual_gap_days,
       coalesce(orders_to_date, 0) AS orders_to_date, coalesce(purchase_days, 0) AS purchase_days,
       first_order_date, last_order_date, last_return_date, tenure_days,
       CAST($as_of AS DATE) AS as_of
FROM staged
ORDER BY snapshot_date, customer_id;
