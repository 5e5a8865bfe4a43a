-- analytics.recommendation_metrics: one row per model and metric, in the order of the lists given.
CREATE OR REPLACE TABLE analytics.recommendation_metrics AS
SELECT unnest(CAST($models AS VARCHAR[])) AS model, unnest(CAST($metrics AS VARCHAR[])) AS metric,
       unnest(CAST($metric_values AS DOUBLE[])) AS value, CAST($cutoff AS DATE) AS cutoff,
       CAST($as_of AS DATE) AS window_end, CAST($as_of AS DATE) AS as_of;
