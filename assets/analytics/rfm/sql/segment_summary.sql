-- Customers and revenue share per segment of analytics.rfm (the asset's metadata table).
SELECT segment, count(*), sum(revenue_share) FROM analytics.rfm GROUP BY segment;
