-- RFM segments: customers, revenue and revenue share.
SELECT segment, any_value(segment_zh) AS segment_zh, count(*) AS customers,
       sum(monetary)::DOUBLE AS revenue, coalesce(sum(revenue_share), 0) AS revenue_share
FROM analytics.rfm GROUP BY segment ORDER BY segment
