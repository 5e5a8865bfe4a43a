-- Churn risk tiers: customers, summed 12-month CLV, value at risk and mean churn probability.
SELECT risk_tier, count(*) AS customers, round(coalesce(sum(clv_12m), 0), 2) AS clv_12m,
       round(coalesce(sum(value_at_risk), 0), 2) AS value_at_risk,
       round(avg(churn_probability), 6) AS mean_probability
FROM analytics.churn_scores GROUP BY risk_tier
