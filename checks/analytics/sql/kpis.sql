-- The consistency rules of analytics.kpis_monthly (checks/analytics/kpis.py CONSISTENCY_RULES): each
-- query lists one text label per violating row. Parameters: $as_of, $kpi_names (the KPIs in order).

-- name: expect_one_row_per_month_and_kpi
WITH grid AS (
    SELECT CAST(m AS DATE) AS month, k.kpi
    FROM range((SELECT min(month) FROM analytics.kpis_monthly),
               CAST(date_trunc('month', $as_of) AS DATE) + INTERVAL 1 MONTH, INTERVAL 1 MONTH) t(m)
    CROSS JOIN (SELECT unnest($kpi_names) AS kpi) k
), counted AS (SELECT month, kpi, count(*) AS n FROM analytics.kpis_monthly GROUP BY ALL)
SELECT strftime(coalesce(g.month, c.month), '%Y-%m') || ' ' || coalesce(g.kpi, c.kpi) || ': '
       || coalesce(c.n, 0) || ' rows'
FROM grid g FULL JOIN counted c USING (month, kpi)
WHERE g.kpi IS NULL OR coalesce(c.n, 0) <> 1
ORDER BY 1;

-- name: expect_period_end_and_partial_month_flag
SELECT strftime(month, '%Y-%m') || ' ' || kpi FROM analytics.kpis_monthly
WHERE period_end IS DISTINCT FROM least(last_day(month), $as_of)
   OR is_partial_month IS DISTINCT FROM (last_day(month) > $as_of)
   OR as_of IS DISTINCT FROM $as_of
ORDER BY month, kpi;

-- name: expect_comparisons_to_match_earlier_rows
SELECT strftime(t.month, '%Y-%m') || ' ' || t.kpi FROM analytics.kpis_monthly t
LEFT JOIN analytics.kpis_monthly p ON p.kpi = t.kpi AND p.month = CAST(t.month - INTERVAL 1 MONTH AS DATE)
LEFT JOIN analytics.kpis_monthly y ON y.kpi = t.kpi AND y.month = CAST(t.month - INTERVAL 12 MONTH AS DATE)
WHERE t.previous_month_value IS DISTINCT FROM p.value
   OR t.same_month_last_year_value IS DISTINCT FROM y.value
   OR abs(coalesce(t.change_vs_previous_month, 0) - coalesce(t.value - p.value, 0)) > 1e-9
   OR (t.change_vs_previous_month IS NULL) <> (t.value - p.value IS NULL)
   OR abs(coalesce(t.change_vs_last_year, 0) - coalesce(t.value - y.value, 0)) > 1e-9
   OR (t.change_vs_last_year IS NULL) <> (t.value - y.value IS NULL)
ORDER BY t.month, t.kpi;

-- name: expect_value_to_equal_numerator_over_denominator
SELECT strftime(month, '%Y-%m') || ' ' || kpi FROM analytics.kpis_monthly
WHERE (unit = 'ratio' OR kpi IN ('csat', 'average_order_value', 'nps'))
  AND CASE WHEN coalesce(denominator, 0) = 0 THEN value IS NOT NULL
           ELSE value IS NULL OR abs(value - (CASE WHEN kpi = 'nps' THEN 100 ELSE 1 END)
                                               * numerator / denominator) > 1e-9 END
ORDER BY month, kpi;

-- name: expect_values_in_range
SELECT strftime(month, '%Y-%m') || ' ' || kpi || ' = ' || value FROM analytics.kpis_monthly
WHERE (unit = 'ratio' AND NOT value BETWEEN 0 AND 1)
   OR (kpi = 'csat' AND NOT value BETWEEN 1 AND 5)
   OR (kpi = 'nps' AND NOT value BETWEEN -100 AND 100)
   OR (unit = 'count' AND (value < 0 OR value <> round(value)))
   OR (unit = 'hours' AND value < 0)
ORDER BY month, kpi;

-- name: expect_customer_flows_to_balance
WITH w AS (
    PIVOT (SELECT month, kpi, value FROM analytics.kpis_monthly
           WHERE kpi IN ('customers', 'new_customers', 'returning_customers', 'churned_customers'))
    ON kpi IN ('customers', 'new_customers', 'returning_customers', 'churned_customers')
    USING any_value(value) GROUP BY month
)
SELECT strftime(month, '%Y-%m') FROM (
    SELECT *, lag(customers) OVER (ORDER BY month) AS previous_customers FROM w)
WHERE customers IS NOT NULL
  AND customers <> coalesce(previous_customers, 0) + new_customers + returning_customers - churned_customers
ORDER BY month;
