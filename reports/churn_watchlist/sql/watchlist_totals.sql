-- Customers at high and at medium churn risk in all (not only those listed) and their value at risk.
SELECT count(*) FILTER (WHERE risk_tier = 'high') AS high,
       count(*) FILTER (WHERE risk_tier = 'medium') AS medium,
       count(*) FILTER (WHERE risk_tier IN ('high', 'medium')) AS watched,
       round(coalesce(sum(value_at_risk) FILTER (WHERE risk_tier IN ('high', 'medium')), 0), 2)
           AS value_at_risk
FROM analytics.churn_scores
