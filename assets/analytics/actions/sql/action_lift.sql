-- analytics.action_lift from the list history (created empty first when there is none): per earlier
-- list and action, and for the whole list ($all_actions), retention of treated and control customers
-- within $evaluation_days after the list date, the lift and its 95% interval ($z: normal quantile).
{% include "action_list_history.sql" %}
CREATE OR REPLACE TABLE analytics.action_lift AS
WITH lists AS (
    SELECT list_date,
           least(list_date + $evaluation_days, CAST($as_of AS DATE)) AS window_end,
           list_date + $evaluation_days <= CAST($as_of AS DATE) AS window_complete
    FROM (SELECT DISTINCT list_date FROM analytics.action_list_history WHERE list_date < CAST($as_of AS DATE))
),
members AS (
    SELECT h.list_date, h.customer_id, h.assigned_action, h.is_control, l.window_end, l.window_complete
    FROM analytics.action_list_history h JOIN lists l USING (list_date)
),
retained AS (
    SELECT DISTINCT m.list_date, m.customer_id
    FROM members m
    JOIN core.orders o ON o.customer_id = m.customer_id AND o.is_revenue
     AND o.order_date > m.list_date AND o.order_date <= m.window_end
),
counted AS (
    SELECT m.list_date,
           CASE WHEN grouping(m.assigned_action) = 1 THEN CAST($all_actions AS VARCHAR) ELSE m.assigned_action END
             AS assigned_action,
           count(*) FILTER (WHERE NOT m.is_control) AS treated_customers,
           count(*) FILTER (WHERE NOT m.is_control AND r.customer_id IS NOT NULL) AS treated_retained,
           count(*) FILTER (WHERE m.is_control) AS control_customers,
           count(*) FILTER (WHERE m.is_control AND r.customer_id IS NOT NULL) AS control_retained,
           any_value(m.window_end) AS window_end, any_value(m.window_complete) AS window_complete
    FROM members m LEFT JOIN retained r USING (list_date, customer_id)
    GROUP BY GROUPING SETS ((m.list_date, m.assigned_action), (m.list_date))
),
rates AS (
    SELECT *,
           CASE WHEN treated_customers > 0 THEN CAST(treated_retained AS DOUBLE) / treated_customers END
             AS treated_retention,
           CASE WHEN control_customers > 0 THEN CAST(control_retained AS DOUBLE) / control_customers END
             AS control_retention
    FROM counted
),
spread AS (
    -- standard error of the difference; 0 when both groups are all retained or all lost, where the
    -- normal approximation says nothing: the interval is then left empty
    SELECT *,
           nullif(sqrt(treated_retention * (1 - treated_retention) / treated_customers
                       + control_retention * (1 - control_retention) / control_customers), 0) AS standard_error
    FROM rates
)
SELECT list_date, assigned_action,
       treated_customers, treated_retained, round(treated_retention, 6) AS treated_retention,
       control_customers, control_retained, round(control_retention, 6) AS control_retention,
       round(treated_retention - control_retention, 6) AS lift,
       round(treated_retention - control_retention - CAST($z AS DECIMAL(3, 2)) * standard_error, 6) AS lift_ci_low,
       round(treated_retention - control_retention + CAST($z AS DECIMAL(3, 2)) * standard_error, 6) AS lift_ci_high,
       CAST($evaluation_days AS INTEGER) AS evaluation_days, window_end, window_complete,
       CAST($as_of AS DATE) AS as_of
FROM spread
ORDER BY list_date, assigned_action <> CAST($all_actions AS VARCHAR), assigned_action;
