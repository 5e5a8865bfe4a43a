-- One row per customer to decide on: every scored customer and every customer in the current
-- lifecycle snapshot (prospects included), with the facts the playbook reads.
WITH scores AS (
    SELECT customer_id, any_value(churn_probability) AS churn_probability, any_value(risk_tier) AS risk_tier,
           any_value(risk_tier_zh) AS risk_tier_zh, any_value(top_reasons) AS top_reasons,
           any_value(top_reasons_zh) AS top_reasons_zh, any_value(clv_12m) AS clv_12m,
           any_value(value_at_risk) AS value_at_risk
    FROM analytics.churn_scores WHERE customer_id IS NOT NULL GROUP BY customer_id
),
stage AS (
    SELECT customer_id, any_value(stage) AS stage, any_value(stage_zh) AS stage_zh,
           any_value(days_since_last_order) AS days_since_last_order, any_value(tenure_days) AS tenure_days
    FROM analytics.lifecycle WHERE is_current AND customer_id IS NOT NULL GROUP BY customer_id
),
population AS (
    SELECT customer_id FROM scores UNION SELECT customer_id FROM stage
),
complaints AS (
    SELECT customer_id, count(*) AS recent_complaints
    FROM core.tickets
    WHERE is_complaint AND customer_id IS NOT NULL AND opened_date <= CAST($as_of AS DATE)
      AND opened_date > CAST($as_of AS DATE) - $complaint_days
    GROUP BY customer_id
),
discounts AS (
    SELECT customer_id,
           CASE WHEN sum(amount) > 0
                THEN CAST(coalesce(sum(amount) FILTER (WHERE discount > 0), 0) AS DOUBLE) / CAST(sum(amount) AS DOUBLE)
           END AS discount_share
    FROM core.order_lines
    WHERE status = 'completed' AND customer_id IS NOT NULL AND order_date <= CAST($as_of AS DATE)
      AND order_date > CAST($as_of AS DATE) - $price_lookback_days
    GROUP BY customer_id
)
SELECT p.customer_id, c.company, c.owner, k.grade, r.segment, r.segment_zh, r.value_tier,
       st.stage AS lifecycle_stage, st.stage_zh AS lifecycle_stage_zh, st.days_since_last_order, st.tenure_days,
       s.risk_tier, s.risk_tier_zh, s.top_reasons, s.top_reasons_zh,
       round(s.churn_probability, 6) AS churn_probability, round(s.clv_12m, 2) AS clv_12m,
       round(s.value_at_risk, 2) AS value_at_risk,
       coalesce(cm.recent_complaints, 0) AS recent_complaints,
       coalesce(cm.recent_complaints, 0) > 0 AS recent_complaint,
       CAST($complaint_days AS INTEGER) AS complaint_days,
       round(d.discount_share, 6) AS discount_share,
       coalesce(d.discount_share >= CAST($price_sensitive_share AS DOUBLE), false) AS price_sensitive,
       cg.is_control
FROM population p
LEFT JOIN scores s USING (customer_id)
LEFT JOIN stage st USING (customer_id)
LEFT JOIN (SELECT customer_id, any_value(company) AS company, any_value(owner) AS owner
           FROM core.customers GROUP BY customer_id) c USING (customer_id)
LEFT JOIN (SELECT customer_id, any_value(grade) AS grade FROM analytics.key_accounts GROUP BY customer_id) k
       USING (customer_id)
LEFT JOIN (SELECT customer_id, any_value(segment) AS segment, any_value(segment_zh) AS segment_zh,
                  any_value(value_tier) AS value_tier
           FROM analytics.rfm GROUP BY customer_id) r USING (customer_id)
LEFT JOIN complaints cm USING (customer_id)
LEFT JOIN discounts d USING (customer_id)
LEFT JOIN (
{% with customers = "population" %}
{% include "control_group.sql" %}
{% endwith %}
) cg USING (customer_id)
