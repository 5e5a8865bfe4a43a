-- analytics.cohort_retention as of $as_of: every cohort (customers by the month of their first completed
-- order) followed month by month up to the as-of month.
CREATE OR REPLACE TABLE analytics.cohort_retention AS
WITH purchases AS (       -- one row per customer and calendar month with a completed order
    SELECT customer_id, CAST(date_trunc('month', order_date) AS DATE) AS month, sum(amount) AS revenue
    FROM core.orders
    WHERE is_revenue AND order_date <= $as_of AND customer_id IS NOT NULL
    GROUP BY ALL
),
firsts AS (
    SELECT customer_id, min(month) AS cohort_month FROM purchases GROUP BY customer_id
),
cohorts AS (
    SELECT cohort_month, count(*) AS cohort_customers FROM firsts GROUP BY cohort_month
),
activity AS (
    SELECT f.cohort_month, date_diff('month', f.cohort_month, p.month) AS months_since,
           count(*) AS active_customers, sum(p.revenue) AS revenue
    FROM purchases p
    JOIN firsts f USING (customer_id)
    GROUP BY ALL
),
grid AS (                 -- every cohort, every month from its first up to the as-of month
    SELECT cohort_month, cohort_customers,
           unnest(range(0, date_diff('month', cohort_month, CAST(date_trunc('month', $as_of) AS DATE)) + 1))
               AS months_since
    FROM cohorts
),
filled AS (
    SELECT g.cohort_month, g.months_since, g.cohort_customers,
           coalesce(a.active_customers, 0) AS active_customers,
           CAST(coalesce(a.revenue, 0) AS DECIMAL(18, 2)) AS revenue
    FROM grid g
    LEFT JOIN activity a USING (cohort_month, months_since)
)
SELECT cohort_month,
       CAST(months_since AS INTEGER) AS months_since,
       CAST(cohort_month + to_months(CAST(months_since AS INTEGER)) AS DATE) AS month,
       cohort_customers,
       active_customers,
       active_customers / cohort_customers AS customer_retention,
       revenue,
       CAST(revenue AS DOUBLE)
           / nullif(CAST(first_value(revenue) OVER (PARTITION BY cohort_month ORDER BY months_since) AS DOUBLE), 0)
           AS revenue_retention,
       CAST($as_of AS DATE) AS as_of
FROM filled
ORDER BY cohort_month, months_since;
