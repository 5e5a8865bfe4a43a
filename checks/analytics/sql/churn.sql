-- The failing-row queries of the churn checks (checks/analytics/churn.py), one row per failing element.

-- name: judged_model_lacks_metric
SELECT c.candidate || ' lacks ' || m.metric
FROM (SELECT DISTINCT model AS candidate FROM analytics.churn_model_metrics
      WHERE evaluation = 'backtest') c
CROSS JOIN (SELECT unnest($metrics) AS metric) m
WHERE NOT EXISTS (SELECT 1 FROM analytics.churn_model_metrics x
                  WHERE x.model = c.candidate AND x.metric = m.metric AND x.value IS NOT NULL);

-- name: recency_rule_missing
SELECT 'recency_rule missing' WHERE EXISTS (SELECT 1 FROM analytics.churn_model_metrics
                                            WHERE model IN ('logistic_regression', 'gradient_boosting'))
AND NOT EXISTS (SELECT 1 FROM analytics.churn_model_metrics WHERE model = 'recency_rule');

-- name: shipped_worse_than_best_baseline
-- $direction: +1 when a higher $metric is better, −1 when lower is
WITH best AS (SELECT arg_max(model, value * CAST($direction AS INTEGER)) AS model,
                     max(value * CAST($direction AS INTEGER)) AS score
              FROM analytics.churn_model_metrics
              WHERE is_baseline AND metric = $metric AND value IS NOT NULL)
SELECT s.model || ' ' || round(s.value, 4) || ' vs ' || b.model || ' ' || round(b.score * CAST($direction AS INTEGER), 4)
FROM analytics.churn_model_metrics s, best b
WHERE s.is_shipped AND s.metric = $metric AND b.score IS NOT NULL
  AND (s.value IS NULL OR s.value * CAST($direction AS INTEGER) < b.score - 1e-9);

-- name: metric_without_status
SELECT model || ' ' || metric FROM analytics.churn_model_metrics WHERE status IS NULL OR status = '';

-- name: recent_buyer_unscored
SELECT customer_id FROM (SELECT DISTINCT customer_id FROM core.orders
                         WHERE status = 'completed' AND customer_id IS NOT NULL
                           AND order_date > $start AND order_date <= $as_of)
WHERE customer_id NOT IN (SELECT customer_id FROM analytics.churn_scores);

-- name: scored_twice
SELECT customer_id FROM analytics.churn_scores GROUP BY customer_id HAVING count(*) > 1;

-- name: probability_out_of_range
SELECT customer_id FROM analytics.churn_scores WHERE churn_probability IS NULL
OR isnan(churn_probability) OR churn_probability < 0 OR churn_probability > 1;

-- name: tier_not_matching_cutoffs
SELECT customer_id || ' ' || churn_probability || ' ' || coalesce(risk_tier, '(empty)')
FROM analytics.churn_scores WHERE risk_tier IS DISTINCT FROM CASE
  WHEN churn_probability >= CAST($risk_high AS DOUBLE) THEN 'high'
  WHEN churn_probability >= CAST($risk_medium AS DOUBLE) THEN 'medium' ELSE 'low' END;

-- name: value_at_risk_not_probability_times_clv
SELECT customer_id FROM analytics.churn_scores
WHERE (clv_12m IS NULL) <> (value_at_risk IS NULL)
   OR abs(value_at_risk - churn_probability * clv_12m) > 0.006;

-- name: buyers
SELECT count(*) FROM (SELECT DISTINCT customer_id FROM core.orders
                      WHERE status = 'completed' AND customer_id IS NOT NULL AND order_date <= $as_of);

-- name: buyer_neither_scored_nor_unscored
SELECT customer_id FROM (SELECT DISTINCT customer_id FROM core.orders
                         WHERE status = 'completed' AND customer_id IS NOT NULL AND order_date <= $as_of)
WHERE customer_id NOT IN (SELECT customer_id FROM analytics.churn_scores)
  AND customer_id NOT IN (SELECT customer_id FROM analytics.churn_unscored);

-- name: scored_and_unscored
SELECT customer_id FROM analytics.churn_unscored
WHERE customer_id IN (SELECT customer_id FROM analytics.churn_scores);

-- name: unscored_without_reason_or_twice
SELECT customer_id FROM analytics.churn_unscored
WHERE reason_code IS NULL OR reason_en IS NULL OR reason_zh IS NULL
UNION ALL
SELECT customer_id FROM analytics.churn_unscored GROUP BY customer_id HAVING count(*) > 1;

-- name: unscored_not_a_buyer
SELECT customer_id FROM analytics.churn_unscored
WHERE customer_id NOT IN (SELECT DISTINCT customer_id FROM core.orders
                          WHERE status = 'completed' AND customer_id IS NOT NULL AND order_date <= $as_of);
