-- Customers scored for churn, those at high risk, and the value at risk (theirs and in all).
SELECT count(*) AS scored, count(*) FILTER (WHERE risk_tier = 'high') AS high,
       coalesce(sum(value_at_risk) FILTER (WHERE risk_tier = 'high'), 0) AS high_var,
       coalesce(sum(value_at_risk), 0) AS var
FROM analytics.churn_scores
