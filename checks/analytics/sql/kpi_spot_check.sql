-- The spot KPIs recomputed independently from core.order_lines (an order's status and customer are
-- those of its first line, as in core.orders), in one scan for every checked month: month i runs
-- from $months[i] to $period_ends[i]; the structure ``months`` lists the positions 1, 2, ...
-- Columns: first_order_date, then <kpi>_<i> for each month and spot KPI.
WITH lines_to_orders AS (
    SELECT order_id, arg_min(customer_id, line_no) AS customer_id, arg_min(status, line_no) AS status,
           min(order_date) AS order_date, sum(amount) AS amount
    FROM core.order_lines GROUP BY order_id
), c AS (
    SELECT *, min(order_date) OVER (PARTITION BY customer_id) AS first_date
    FROM lines_to_orders WHERE status = 'completed' AND order_date <= $as_of
)
SELECT (SELECT min(order_date) FROM lines_to_orders WHERE order_date <= $as_of) AS first_order_date,
{% for i in months %}
       sum(amount) FILTER (WHERE order_date BETWEEN $months[{{ i }}] AND $period_ends[{{ i }}]) AS revenue_{{ i }},
       count(*) FILTER (WHERE order_date BETWEEN $months[{{ i }}] AND $period_ends[{{ i }}]) AS orders_{{ i }},
       count(DISTINCT customer_id) FILTER (WHERE order_date BETWEEN $months[{{ i }}] AND $period_ends[{{ i }}])
           AS active_customers_{{ i }},
       count(DISTINCT customer_id) FILTER (WHERE order_date BETWEEN
           $period_ends[{{ i }}] - CAST($churn_days AS INTEGER) AND $period_ends[{{ i }}]) AS customers_{{ i }},
       count(DISTINCT customer_id) FILTER (WHERE first_date BETWEEN $months[{{ i }}] AND $period_ends[{{ i }}])
           AS new_customers_{{ i }}{% if not loop.last %},{% endif +%}
{% endfor %}
FROM c;
