-- The top $size customers at high or medium churn risk by value at risk (then churn probability,
-- then customer id), with owner, company, grade, reasons, flags and action. Structure: with_actions
-- and with_accounts (whether analytics.next_best_actions and analytics.key_accounts are built with
-- the columns read), flags (the early-warning flags) and scored_flags (those analytics.churn_scores has).
SELECT s.customer_id,
{% if with_actions and with_accounts %}
       coalesce(a.company, k.company) AS company,
       coalesce(a.owner, k.owner) AS owner,
{% elif with_actions %}
       coalesce(a.company) AS company,
       coalesce(a.owner) AS owner,
{% elif with_accounts %}
       coalesce(k.company) AS company,
       coalesce(k.owner) AS owner,
{% else %}
       NULL AS company,
       NULL AS owner,
{% endif %}
{% if with_accounts %}
       k.grade AS grade,
{% else %}
       NULL AS grade,
{% endif %}
       s.risk_tier, s.churn_probability, s.clv_12m, s.value_at_risk, s.days_since_last_purchase,
       s.top_reasons, s.top_reasons_zh,
{% for f in flags %}
{% if f in scored_flags %}
       s.{{ f }},
{% else %}
       CAST(NULL AS BOOLEAN) AS {{ f }},
{% endif %}
{% endfor %}
{% if with_actions %}
       a.action, a.action_label_en, a.action_label_zh, a.reason_en, a.reason_zh,
       coalesce(a.is_control, false) AS is_control
{% else %}
       NULL AS action, NULL AS action_label_en, NULL AS action_label_zh, NULL AS reason_en,
       NULL AS reason_zh, false AS is_control
{% endif %}
FROM analytics.churn_scores s
{% if with_actions %}
LEFT JOIN analytics.next_best_actions a USING (customer_id)
{% endif %}
{% if with_accounts %}
LEFT JOIN analytics.key_accounts k USING (customer_id)
{% endif %}
WHERE s.risk_tier IN ('high', 'medium')
ORDER BY s.value_at_risk DESC NULLS LAST, s.churn_probability DESC NULLS LAST, s.customer_id
LIMIT CAST($size AS BIGINT)
