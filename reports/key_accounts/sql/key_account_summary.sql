-- Summary cards over every VIP and A account: counts, 12-month revenue (theirs and of all graded
-- customers), overdue follow-ups, high-risk accounts and their value at risk (risk empty without
-- analytics.churn_scores, structure: with_churn_scores).
WITH k AS (
    SELECT k.grade, k.revenue_12m, k.follow_up_overdue,
{% if with_churn_scores %}
           s.risk_tier, s.value_at_risk
    FROM analytics.key_accounts k
    LEFT JOIN (SELECT customer_id, min(risk_tier) AS risk_tier, max(value_at_risk) AS value_at_risk
               FROM analytics.churn_scores GROUP BY customer_id) s USING (customer_id)
{% else %}
           CAST(NULL AS VARCHAR) AS risk_tier, CAST(NULL AS DOUBLE) AS value_at_risk
    FROM analytics.key_accounts k
{% endif %}
)
SELECT count(*) FILTER (WHERE grade = 'VIP') AS vip,
       count(*) FILTER (WHERE grade = 'A') AS a,
       count(*) FILTER (WHERE grade IN ('VIP', 'A')) AS accounts,
       coalesce(sum(revenue_12m) FILTER (WHERE grade IN ('VIP', 'A')), 0) AS key_revenue,
       coalesce(sum(revenue_12m), 0) AS total_revenue,
       count(*) FILTER (WHERE grade IN ('VIP', 'A') AND follow_up_overdue) AS overdue,
       count(*) FILTER (WHERE grade IN ('VIP', 'A') AND risk_tier = 'high') AS high_risk,
       round(coalesce(sum(value_at_risk) FILTER (WHERE grade IN ('VIP', 'A')), 0), 2) AS value_at_risk
FROM k
