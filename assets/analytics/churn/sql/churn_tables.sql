-- The five churn tables, from the frames registered by write_churn_tables (churn_metric_rows,
-- churn_score_rows, churn_calibration_rows, purchase_forecast_rows), in one transaction.
-- Structure: has_clv, whether analytics.clv exists (else clv_12m and value_at_risk are empty).

CREATE OR REPLACE TABLE analytics.churn_model_metrics AS
SELECT model, metric, round(value, 6) AS value, evaluation,
       model = $shipped AS is_shipped, list_contains($baselines, model) AS is_baseline,
       $label_days::INTEGER AS label_horizon_days, $cutoffs::INTEGER AS training_cutoffs,
       $c0::DATE AS train_cutoff, $c1::DATE AS test_cutoff,
       CASE WHEN $c1::DATE IS NOT NULL THEN $as_of::DATE END AS test_window_end,
       $status AS status, $as_of::DATE AS as_of
FROM churn_metric_rows ORDER BY position;

CREATE OR REPLACE TABLE analytics.churn_scores AS
SELECT s.customer_id, s.churn_probability, s.risk_tier,
       list_extract($risk_tier_names_zh, list_position($risk_tiers, s.risk_tier)) AS risk_tier_zh,
       s.top_reasons, s.top_reasons_zh, s.top_reason_codes,
       s.interaction_drop, s.spend_drop, s.complaint_spike,
       s.days_since_last_purchase,
       c.clv_12m::DOUBLE AS clv_12m,
       round(s.churn_probability * c.clv_12m, 2)::DOUBLE AS value_at_risk,
       $shipped AS model, $as_of::DATE AS as_of
FROM churn_score_rows s LEFT JOIN
{% if has_clv %}
    (SELECT customer_id, clv_12m FROM analytics.clv)
{% else %}
    (SELECT NULL::VARCHAR AS customer_id, NULL::DOUBLE AS clv_12m WHERE false)
{% endif %}
    c USING (customer_id)
ORDER BY s.customer_id;

-- Every buyer not scored, with the reason: scoring_failed when the computation failed ($failed),
-- else lapsed (last purchase on or before $population_start) or not_scored. The reasons in both
-- languages are looked up in the lists $reason_codes / $reasons_en / $reasons_zh.
CREATE OR REPLACE TABLE analytics.churn_unscored AS
WITH buyers AS (
    SELECT customer_id, max(order_date) AS last_purchase_date FROM core.orders
    WHERE status = 'completed' AND customer_id IS NOT NULL AND order_date <= $as_of GROUP BY customer_id
), coded AS (
    SELECT b.customer_id,
           CASE WHEN $failed::BOOLEAN THEN 'scoring_failed'
                WHEN b.last_purchase_date <= $population_start THEN 'lapsed' ELSE 'not_scored' END AS reason_code,
           b.last_purchase_date
    FROM buyers b WHERE b.customer_id NOT IN (SELECT customer_id FROM churn_score_rows)
)
SELECT customer_id, reason_code, list_extract($reasons_en, list_position($reason_codes, reason_code)) AS reason_en,
       list_extract($reasons_zh, list_position($reason_codes, reason_code)) AS reason_zh,
       last_purchase_date, $as_of::DATE AS as_of
FROM coded ORDER BY customer_id;

CREATE OR REPLACE TABLE analytics.churn_calibration AS
SELECT $shipped AS model, decile, customers, round(mean_predicted, 6) AS mean_predicted,
       round(actual_churn_rate, 6) AS actual_churn_rate, round(min_predicted, 6) AS min_predicted,
       round(max_predicted, 6) AS max_predicted, $c1::DATE AS cutoff, $as_of::DATE AS window_end,
       $as_of::DATE AS as_of
FROM churn_calibration_rows ORDER BY decile;

CREATE OR REPLACE TABLE analytics.purchase_forecast_accuracy AS
SELECT frequency_bucket, bucket_order, customers, round(predicted_purchases, 2) AS predicted_purchases,
       actual_purchases,
       round(predicted_purchases / nullif(customers, 0), 4) AS predicted_per_customer,
       round(actual_purchases / nullif(customers, 0), 4) AS actual_per_customer,
       $c1::DATE AS cutoff, $as_of::DATE AS window_end, $as_of::DATE AS as_of
FROM purchase_forecast_rows ORDER BY bucket_order;
