-- Lists in the history (count, first and last date), and of them those evaluated in
-- analytics.action_lift and those with a complete evaluation window.
SELECT count(DISTINCT list_date), min(list_date), max(list_date),
       (SELECT count(DISTINCT list_date) FROM analytics.action_lift),
       (SELECT count(DISTINCT list_date) FILTER (WHERE window_complete) FROM analytics.action_lift)
FROM analytics.action_list_history;
