-- Customers per lifecycle stage in the current snapshot.
SELECT stage, any_value(stage_zh) AS stage_zh, count(*) AS customers
FROM analytics.lifecycle WHERE is_current GROUP BY stage
