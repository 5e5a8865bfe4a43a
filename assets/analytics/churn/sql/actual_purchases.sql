-- Purchase days per customer in ($c1, $as_of]: what the BG/NBD forecast made at the cutoff $c1 is judged against.
SELECT customer_id, count(DISTINCT order_date) AS actual_purchases FROM core.orders
WHERE status = 'completed' AND customer_id IS NOT NULL AND order_date > $c1 AND order_date <= $as_of
GROUP BY customer_id
