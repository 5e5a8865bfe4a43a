-- RFM value tiers: customers, revenue, share of customers and of revenue.
SELECT value_tier, any_value(value_tier_zh) AS value_tier_zh, count(*) AS customers,
       sum(monetary)::DOUBLE AS revenue,
       count(*) / sum(count(*)) OVER () AS customer_share,
       coalesce(sum(monetary) / nullif(sum(sum(monetary)) OVER (), 0), 0)::DOUBLE AS revenue_share
FROM analytics.rfm GROUP BY value_tier
