-- The purchase summary (clv_summary, built by the CLV topic) in weeks, for the BG/NBD fit at a cutoff.
SELECT customer_id, frequency, recency_days / CAST($days_per_unit AS DECIMAL(2, 1)) AS recency_weeks,
       t_days / CAST($days_per_unit AS DECIMAL(2, 1)) AS age_weeks
FROM clv_summary ORDER BY customer_id
