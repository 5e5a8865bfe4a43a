-- The queries of the analytics.clusters and analytics.cluster_profiles checks
-- (checks/analytics/clusters.py). The buyers: customers with a completed order on or before the as-of date.

-- name: buyers
SELECT count(*) FROM (
    SELECT DISTINCT customer_id FROM core.orders
    WHERE is_revenue AND customer_id IS NOT NULL AND order_date <= CAST($as_of AS DATE)
);

-- name: rows
SELECT count(*) FROM analytics.clusters;

-- name: buyer_not_clustered
SELECT customer_id FROM (
    SELECT DISTINCT customer_id FROM core.orders
    WHERE is_revenue AND customer_id IS NOT NULL AND order_date <= CAST($as_of AS DATE)
) b
WHERE NOT EXISTS (SELECT 1 FROM analytics.clusters c WHERE c.customer_id = b.customer_id);

-- name: not_a_buyer
SELECT coalesce(customer_id, '(empty)') FROM analytics.clusters
WHERE customer_id IS NULL OR customer_id NOT IN (
    SELECT DISTINCT customer_id FROM core.orders
    WHERE is_revenue AND customer_id IS NOT NULL AND order_date <= CAST($as_of AS DATE)
);

-- name: repeated_customer
SELECT customer_id || ' × ' || count(*) FROM analytics.clusters GROUP BY customer_id HAVING count(*) > 1;

-- name: cluster_without_profile
SELECT customer_id || ' → ' || coalesce(CAST(cluster AS VARCHAR), '(empty)')
FROM analytics.clusters c
WHERE cluster IS NULL OR NOT EXISTS (SELECT 1 FROM analytics.cluster_profiles p WHERE p.cluster = c.cluster);

-- name: profiles
SELECT count(*), coalesce(sum(share), 0) FROM analytics.cluster_profiles;

-- name: profile_count_differs
SELECT 'cluster ' || CAST(coalesce(p.cluster, c.cluster) AS VARCHAR) || ': profile '
       || coalesce(CAST(p.customers AS VARCHAR), '(none)') || ' vs rows '
       || coalesce(CAST(c.n AS VARCHAR), '0')
FROM (SELECT cluster, customers, count(*) OVER (PARTITION BY cluster) AS dup
      FROM analytics.cluster_profiles) p
FULL JOIN (SELECT cluster, count(*) AS n FROM analytics.clusters GROUP BY cluster) c
  ON p.cluster = c.cluster
WHERE p.customers IS DISTINCT FROM c.n OR p.dup > 1;
