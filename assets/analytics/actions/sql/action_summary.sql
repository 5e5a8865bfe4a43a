-- Per assigned action of analytics.next_best_actions: customers treated, held out, and their value at risk.
SELECT assigned_action, count(*) FILTER (WHERE NOT is_control), count(*) FILTER (WHERE is_control),
       coalesce(sum(value_at_risk), 0)
FROM analytics.next_best_actions GROUP BY assigned_action;
