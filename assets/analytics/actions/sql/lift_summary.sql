-- The lift of the whole lists ($all_actions), newest first, the last twelve.
SELECT list_date, treated_customers, control_customers, treated_retention, control_retention, lift,
       lift_ci_low, lift_ci_high, window_complete
FROM analytics.action_lift WHERE assigned_action = $all_actions ORDER BY list_date DESC LIMIT 12;
