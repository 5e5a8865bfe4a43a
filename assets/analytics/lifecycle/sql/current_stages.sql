-- Customers per stage on the current snapshot (the as-of date), most frequent first.
SELECT stage, any_value(stage_zh), count(*) FROM analytics.lifecycle WHERE is_current
GROUP BY stage ORDER BY count(*) DESC, stage;
