-- Per RFM segment: customers, revenue, share of revenue, summed 12-month CLV, customers scored and at
-- high churn risk, value at risk, customers on the action list and the most common playbook action.
-- Structure: optional, the relations clv, scores and actions, each its table or (when the table is
-- not built) no rows with the columns read.
WITH
{% include "optional_relations.sql" %}
seg AS (
    SELECT r.segment, any_value(r.segment_zh) AS segment_zh, count(*) AS customers,
           sum(r.monetary)::DOUBLE AS revenue, coalesce(sum(r.revenue_share), 0) AS revenue_share,
           sum(c.clv_12m) AS clv_12m, count(s.customer_id) AS scored,
           count(*) FILTER (WHERE s.risk_tier = 'high') AS high_risk,
           coalesce(sum(s.value_at_risk), 0) AS value_at_risk
    FROM analytics.rfm r
    LEFT JOIN clv c USING (customer_id)
    LEFT JOIN scores s USING (customer_id)
    GROUP BY r.segment),
listed AS (
    SELECT segment, assigned_action, count(*) AS n,
           min(action_label_en) FILTER (WHERE NOT is_control) AS label_en,
           min(action_label_zh) FILTER (WHERE NOT is_control) AS label_zh
    FROM actions GROUP BY segment, assigned_action),
ranked AS (
    SELECT *, sum(n) OVER (PARTITION BY segment) AS on_list,
           row_number() OVER (PARTITION BY segment ORDER BY n DESC, assigned_action) AS rank
    FROM listed)
SELECT seg.*, coalesce(k.on_list, 0) AS on_list, k.assigned_action AS main_action,
       coalesce(k.n, 0) AS main_action_customers, k.label_en AS main_action_en, k.label_zh AS main_action_zh
FROM seg LEFT JOIN ranked k ON k.segment = seg.segment AND k.rank = 1
ORDER BY seg.segment
