-- The measured lift of every action list, the 'all' row of each list first.
SELECT list_date, assigned_action, treated_customers, treated_retention, control_customers,
       control_retention, lift, lift_ci_low, lift_ci_high, evaluation_days, window_end, window_complete
FROM analytics.action_lift ORDER BY list_date, assigned_action <> 'all', assigned_action
