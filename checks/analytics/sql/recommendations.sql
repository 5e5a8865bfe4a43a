-- The failing rows of the analytics.recommendations checks (checks/analytics/recommendations.py),
-- one sample text per failing customer or row.

-- name: more_than_top_n
SELECT coalesce(customer_id, '(empty)') || ': ' || string_agg(coalesce(CAST(rank AS VARCHAR), '(empty)') || '='
       || coalesce(sku, '(empty)'), ', ' ORDER BY rank, sku) AS sample
FROM analytics.recommendations
GROUP BY customer_id
HAVING count(*) > $top_n OR customer_id IS NULL;

-- name: ranks_not_contiguous
SELECT coalesce(customer_id, '(empty)') || ': ' || string_agg(coalesce(CAST(rank AS VARCHAR), '(empty)') || '='
       || coalesce(sku, '(empty)'), ', ' ORDER BY rank, sku) AS sample
FROM analytics.recommendations
GROUP BY customer_id
HAVING count(rank) <> count(*) OR min(rank) <> 1 OR max(rank) <> count(*) OR count(DISTINCT rank) <> count(*);

-- name: skus_repeated_or_empty
SELECT coalesce(customer_id, '(empty)') || ': ' || string_agg(coalesce(CAST(rank AS VARCHAR), '(empty)') || '='
       || coalesce(sku, '(empty)'), ', ' ORDER BY rank, sku) AS sample
FROM analytics.recommendations
GROUP BY customer_id
HAVING count(sku) <> count(*) OR count(DISTINCT sku) <> count(*);

-- name: unknown_source
SELECT coalesce(customer_id, '(empty)') || ' #' || coalesce(CAST(rank AS VARCHAR), '(empty)') || ' → '
       || coalesce(source, '(empty)') AS sample
FROM analytics.recommendations
WHERE source IS NULL OR source NOT IN ('co_purchase', 'popular');

-- name: recent_purchase_recommended
SELECT r.customer_id || ' → ' || r.sku AS sample FROM analytics.recommendations r
SEMI JOIN core.order_lines l ON l.customer_id = r.customer_id AND l.sku = r.sku
    AND l.status = 'completed' AND l.order_date <= CAST($as_of AS DATE)
    AND l.order_date > CAST($as_of AS DATE) - $exclude_recent_days;
