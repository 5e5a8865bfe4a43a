-- The queries of the analytics.rfm checks (checks/analytics/rfm.py). The buyers of the RFM window:
-- customers with a completed order in the rfm.lookback_days up to the as-of date.

-- name: buyers
SELECT count(*) FROM (
    SELECT DISTINCT customer_id FROM core.orders
    WHERE is_revenue AND customer_id IS NOT NULL AND order_date <= CAST($as_of AS DATE)
      AND order_date > CAST($as_of AS DATE) - CAST($lookback_days AS INTEGER)
);

-- name: rows
SELECT count(*) FROM analytics.rfm;

-- name: buyer_missing
SELECT customer_id FROM (
    SELECT DISTINCT customer_id FROM core.orders
    WHERE is_revenue AND customer_id IS NOT NULL AND order_date <= CAST($as_of AS DATE)
      AND order_date > CAST($as_of AS DATE) - CAST($lookback_days AS INTEGER)
) b
WHERE NOT EXISTS (SELECT 1 FROM analytics.rfm r WHERE r.customer_id = b.customer_id);

-- name: not_a_buyer
SELECT coalesce(customer_id, '(empty)') FROM analytics.rfm r
WHERE customer_id IS NULL OR customer_id NOT IN (
    SELECT DISTINCT customer_id FROM core.orders
    WHERE is_revenue AND customer_id IS NOT NULL AND order_date <= CAST($as_of AS DATE)
      AND order_date > CAST($as_of AS DATE) - CAST($lookback_days AS INTEGER)
);

-- name: repeated_customer
SELECT customer_id || ' × ' || count(*) FROM analytics.rfm GROUP BY customer_id HAVING count(*) > 1;

-- name: segment_not_in_scheme
SELECT customer_id || ' → ' || coalesce(segment, '(empty)') FROM analytics.rfm
WHERE segment IS NULL OR NOT list_contains($segment_names, segment);

-- name: score_out_of_range
SELECT customer_id || ' → ' || coalesce(rfm_code, '(empty)') FROM analytics.rfm
WHERE NOT (r_score BETWEEN 1 AND CAST($bins AS INTEGER) AND f_score BETWEEN 1 AND CAST($bins AS INTEGER)
           AND m_score BETWEEN 1 AND CAST($bins AS INTEGER) AND fm_score BETWEEN 1 AND CAST($bins AS INTEGER))
   OR r_score IS NULL OR f_score IS NULL OR m_score IS NULL OR fm_score IS NULL;

-- name: bad_tier_or_class
SELECT customer_id || ' → ' || coalesce(value_tier, '(empty)') || '/' || coalesce(abc_class, '(empty)')
FROM analytics.rfm
WHERE value_tier IS NULL OR value_tier NOT IN ('high', 'normal', 'low') OR abc_class IS NULL
   OR abc_class NOT IN ('A', 'B', 'C');

-- name: shares
-- The last customer of the Pareto ranking (revenue descending, then id) is read explicitly: a
-- customer whose refunds exceed their purchases has negative revenue, so the cumulative share can
-- pass 100% before the end and come back down to it.
SELECT count(*), coalesce(sum(monetary), 0), coalesce(sum(revenue_share), 0),
       coalesce(arg_min(cumulative_revenue_share, (monetary, -rank_by_id)), 0),
       coalesce(sum(revenue_share) FILTER (WHERE abc_class = 'A'), 0)
FROM (SELECT *, row_number() OVER (ORDER BY customer_id) AS rank_by_id FROM analytics.rfm);
