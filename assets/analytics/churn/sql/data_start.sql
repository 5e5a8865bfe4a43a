-- The first day with a completed purchase on or before the as-of date.
SELECT min(order_date) FROM core.orders WHERE status = 'completed' AND customer_id IS NOT NULL AND order_date <= $as_of
