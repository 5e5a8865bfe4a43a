-- The current analytics.next_best_actions as the list issued on $list_date, replacing that date's
-- earlier rows (run inside a transaction); the last statement counts the rows written.
DELETE FROM analytics.action_list_history WHERE list_date = $list_date;
INSERT INTO analytics.action_list_history
SELECT CAST($list_date AS DATE), customer_id, assigned_action, is_control,
       CAST(churn_probability AS DOUBLE), CAST(value_at_risk AS DOUBLE)
FROM analytics.next_best_actions WHERE as_of = CAST($list_date AS DATE) ORDER BY customer_id;
SELECT count(*) FROM analytics.action_list_history WHERE list_date = $list_date;
