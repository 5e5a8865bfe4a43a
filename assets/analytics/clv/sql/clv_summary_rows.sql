-- What the CLV models are fitted on, one row per customer of clv_summary in customer order.
SELECT frequency, recency_days, t_days, monetary, first_spend FROM clv_summary ORDER BY customer_id
