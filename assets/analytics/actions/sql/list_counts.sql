-- Customers on the list, of them in the control group, and customers scored.
SELECT count(*), count(*) FILTER (WHERE is_control), (SELECT count(*) FROM analytics.churn_scores)
FROM analytics.next_best_actions;
