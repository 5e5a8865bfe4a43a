-- Behaviour clusters: names, traits (en and zh), size and mean behaviour.
SELECT cluster, cluster_name, cluster_name_zh, customers, share, mean_revenue, mean_orders,
       mean_recency_days, mean_average_order_value, traits, traits_zh
FROM analytics.cluster_profiles ORDER BY cluster
