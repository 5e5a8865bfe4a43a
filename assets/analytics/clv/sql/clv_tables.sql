-- analytics.clv and analytics.clv_model_params from clv_summary and the frames registered by
-- build_clv (clv_predictions: one row per summary row, numbered rn in customer order; clv_params).
CREATE OR REPLACE TABLE analytics.clv AS
WITH s AS (SELECT *, (row_number() OVER (ORDER BY customer_id) - 1)::BIGINT AS rn FROM clv_summary)
SELECT s.customer_id, s.frequency, s.recency_days, s.t_days, round(s.monetary, 2) AS monetary,
       round(p.p_alive, 6) AS p_alive,
       round(p.expected_purchases_12m, 6) AS expected_purchases_12m,
       round(p.expected_avg_order_value, 2) AS expected_avg_order_value,
       round(p.clv_12m, 2) AS clv_12m,
       $as_of::DATE AS as_of
FROM s JOIN clv_predictions p USING (rn)
ORDER BY s.customer_id;

CREATE OR REPLACE TABLE analytics.clv_model_params AS
SELECT model, parameter, value, time_unit, n_customers, log_likelihood, status,
       $as_of::DATE AS as_of
FROM clv_params ORDER BY sort_key;
