-- Customers and summed 12-month CLV per bucket: bucket i holds the values from edge i to edge i + 1
-- ($edges: the upper edges).
SELECT len(list_filter($edges::DOUBLE[], lambda e: e <= clv_12m)) AS bucket, count(*) AS customers,
       round(sum(clv_12m), 2) AS clv_12m
FROM analytics.clv WHERE clv_12m IS NOT NULL GROUP BY bucket ORDER BY bucket
