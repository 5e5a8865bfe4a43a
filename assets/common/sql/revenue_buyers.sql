{#
A query part that topics include inside a CTE (shared through SHARED_PARTS in assets/common/sql.py):
one row per customer with a completed (revenue) order on or before $as_of, with recency_days (days
from the last such order to $as_of), orders (how many) and revenue (their amount, CNY). A template
that sets lookback_window before the include counts only the orders of the $lookback_days days up to
the as-of date (as_of - lookback_days < order_date <= as_of).
#}
    SELECT customer_id,
           CAST(date_diff('day', max(order_date), CAST($as_of AS DATE)) AS INTEGER) AS recency_days,
           count(*) AS orders,
           CAST(sum(amount) AS DECIMAL(18, 2)) AS revenue
    FROM core.orders
    WHERE is_revenue AND customer_id IS NOT NULL
      AND order_date <= CAST($as_of AS DATE)
{% if lookback_window is defined %}
      AND order_date > CAST($as_of AS DATE) - CAST($lookback_days AS INTEGER)
{% endif %}
    GROUP BY customer_id
