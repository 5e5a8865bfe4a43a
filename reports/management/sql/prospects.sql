-- The prospects (current lifecycle stage potential): how many, how many are on the action list and
-- their most common action. Structure: optional, the relation actions as in segment_strategy.sql.
WITH
{% include "optional_relations.sql" %}
p AS (SELECT count(*) AS customers FROM analytics.lifecycle WHERE is_current AND stage = 'potential'),
k AS (
    SELECT assigned_action, count(*) AS n,
           min(action_label_en) FILTER (WHERE NOT is_control) AS label_en,
           min(action_label_zh) FILTER (WHERE NOT is_control) AS label_zh,
           sum(count(*)) OVER () AS on_list
    FROM actions WHERE segment IS NULL AND lifecycle_stage = 'potential'
    GROUP BY assigned_action ORDER BY n DESC, assigned_action LIMIT 1)
SELECT p.customers, coalesce(k.on_list, 0) AS on_list, k.assigned_action AS main_action,
       coalesce(k.n, 0) AS main_action_customers, k.label_en AS main_action_en, k.label_zh AS main_action_zh
FROM p LEFT JOIN k ON true
