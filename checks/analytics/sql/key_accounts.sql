-- The queries of the key-account and customer 360 checks (checks/analytics/key_accounts.py). The
-- buyers: customers with a completed order on or before the as-of date.

-- name: buyers
SELECT count(*) FROM (
    SELECT DISTINCT customer_id FROM core.orders
    WHERE is_revenue AND order_date <= $as_of AND customer_id IS NOT NULL
);

-- name: rows
SELECT count(*) FROM analytics.key_accounts;

-- name: buyers_not_graded
SELECT customer_id FROM (
    SELECT DISTINCT customer_id FROM core.orders
    WHERE is_revenue AND order_date <= $as_of AND customer_id IS NOT NULL
) b
ANTI JOIN analytics.key_accounts k USING (customer_id)
ORDER BY 1;

-- name: graded_not_buyers
SELECT k.customer_id FROM analytics.key_accounts k
ANTI JOIN (
    SELECT DISTINCT customer_id FROM core.orders
    WHERE is_revenue AND order_date <= $as_of AND customer_id IS NOT NULL
) b USING (customer_id)
ORDER BY 1;

-- name: graded_twice
SELECT customer_id, count(*) FROM analytics.key_accounts GROUP BY 1 HAVING count(*) > 1 ORDER BY 1;

-- name: bad_grade
SELECT customer_id FROM analytics.key_accounts
WHERE grade IS NULL OR NOT list_contains($grades, grade)
ORDER BY 1;

-- name: grade_counts
SELECT grade, count(*) FROM analytics.key_accounts GROUP BY grade;

-- name: grade_off_rank
-- $vip, $a, $b: the last score rank graded VIP, A and B.
SELECT customer_id, score_rank, grade FROM analytics.key_accounts
WHERE grade IS DISTINCT FROM CASE WHEN score_rank <= CAST($vip AS INTEGER) THEN 'VIP'
                                  WHEN score_rank <= CAST($a AS INTEGER) THEN 'A'
                                  WHEN score_rank <= CAST($b AS INTEGER) THEN 'B' ELSE 'C' END
ORDER BY score_rank;

-- name: text_columns
SELECT column_name FROM information_schema.columns
WHERE table_schema = $schema AND table_name = $name AND data_type = 'VARCHAR'
ORDER BY ordinal_position;
