-- The VIP and A accounts with their archive fields and, when analytics.churn_scores is built
-- (structure: with_churn_scores), churn risk tier, probability and value at risk; VIP first, then by
-- score rank, then customer id; at most $max_rows.
SELECT k.customer_id, k.company, k.contact_name, k.phone_masked, k.email_masked, k.owner, k.industry,
       k.company_size, k.grade, k.score, k.score_rank, k.revenue_12m, k.orders_12m, k.predicted_value,
       k.last_order_date, k.last_interaction_date, k.complaints_12m, k.open_opportunity_value,
       k.next_follow_up_date, k.follow_up_overdue,
{% if with_churn_scores %}
       s.risk_tier, s.churn_probability, s.value_at_risk
FROM analytics.key_accounts k
LEFT JOIN (SELECT customer_id, min(risk_tier) AS risk_tier, max(churn_probability) AS churn_probability,
                  max(value_at_risk) AS value_at_risk
           FROM analytics.churn_scores GROUP BY customer_id) s USING (customer_id)
{% else %}
       CAST(NULL AS VARCHAR) AS risk_tier, CAST(NULL AS DOUBLE) AS churn_probability,
       CAST(NULL AS DOUBLE) AS value_at_risk
FROM analytics.key_accounts k
{% endif %}
WHERE k.grade IN ('VIP', 'A')
ORDER BY CASE k.grade WHEN 'VIP' THEN 0 ELSE 1 END, k.score_rank, k.customer_id
LIMIT CAST($max_rows AS BIGINT)
