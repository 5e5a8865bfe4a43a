-- The failing elements of cohort_retention_consistent (checks/analytics/cohorts.py), one column
-- ``sample`` per failing element, in a stable order. $as_of: the date the table was built for. First,
-- the counts of the elements checked.

-- name: month_zero_rows
SELECT count(*) FROM analytics.cohort_retention WHERE months_since = 0;

-- name: rows
SELECT count(*) FROM analytics.cohort_retention;

-- name: cohorts
SELECT count(DISTINCT cohort_month) FROM analytics.cohort_retention;

-- name: month_zero_not_fully_retained
SELECT cohort_month || ': active ' || active_customers || ' of ' || cohort_customers
       || ', revenue retention ' || coalesce(CAST(revenue_retention AS VARCHAR), '(empty)') AS sample
FROM analytics.cohort_retention
WHERE months_since = 0
  AND (active_customers <> cohort_customers OR customer_retention IS DISTINCT FROM 1.0
       OR (revenue > 0 AND abs(revenue_retention - 1) > 1e-12)
       OR (revenue = 0 AND revenue_retention IS NOT NULL))
ORDER BY cohort_month;

-- name: retention_out_of_range
SELECT cohort_month || ' +' || months_since || ': ' || active_customers || ' of '
       || cohort_customers AS sample
FROM analytics.cohort_retention
WHERE active_customers < 0 OR active_customers > cohort_customers
   OR abs(customer_retention - active_customers / cohort_customers) > 1e-12
ORDER BY cohort_month, months_since;

-- name: months_missing_or_extra
SELECT cohort_month || ': ' || count(*) || ' rows, months_since ' || min(months_since) || '–'
       || max(months_since) AS sample
FROM analytics.cohort_retention
GROUP BY cohort_month
HAVING count(*) <> count(DISTINCT months_since) OR min(months_since) <> 0
    OR max(months_since) <> date_diff('month', cohort_month, CAST($as_of AS DATE))
    OR count(*) <> max(months_since) + 1
ORDER BY cohort_month;

-- name: cohorts_not_reconciled
WITH orders AS (
    SELECT count(DISTINCT customer_id) AS customers, coalesce(sum(amount), 0) AS revenue
    FROM core.orders
    WHERE is_revenue AND order_date <= $as_of AND customer_id IS NOT NULL
),
cohorts AS (
    SELECT coalesce(sum(cohort_customers) FILTER (WHERE months_since = 0), 0) AS customers,
           coalesce(sum(revenue), 0) AS revenue
    FROM analytics.cohort_retention
)
SELECT 'customers: cohorts ' || c.customers || ', orders ' || o.customers AS sample
FROM cohorts c, orders o WHERE c.customers <> o.customers
UNION ALL
SELECT 'revenue: cohorts ' || c.revenue || ', orders ' || o.revenue
FROM cohorts c, orders o WHERE c.revenue <> o.revenue;
