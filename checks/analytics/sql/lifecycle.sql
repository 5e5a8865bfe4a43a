-- The failing elements of the lifecycle checks (checks/analytics/lifecycle.py), one column ``sample``
-- per failing element, in a stable order. $stages: the stage codes; $snapshots: the expected snapshot
-- dates; $first_seen_stage: the from_stage of customers not on the previous snapshot. First, the
-- counts of the elements checked.

-- name: rows
SELECT count(*) FROM analytics.lifecycle;

-- name: snapshots
SELECT count(DISTINCT snapshot_date) FROM analytics.lifecycle;

-- name: transitions
SELECT count(*) FROM analytics.lifecycle_transitions;

-- name: duplicated_customer_snapshots
SELECT snapshot_date || ' ' || customer_id || ' × ' || count(*) AS sample
FROM analytics.lifecycle GROUP BY customer_id, snapshot_date HAVING count(*) > 1
ORDER BY sample;

-- name: unknown_stages
SELECT snapshot_date || ' ' || customer_id || ' → ' || coalesce(stage, '(empty)') AS sample
FROM analytics.lifecycle WHERE stage IS NULL OR NOT list_contains($stages, stage)
ORDER BY snapshot_date, customer_id;

-- name: stage_shares_off_100
WITH snapshots AS (SELECT unnest(CAST($snapshots AS DATE[])) AS snapshot_date),
known AS (
    SELECT c.customer_id, least(c.created_date, f.first_seen_date) AS known_date
    FROM core.customers c
    LEFT JOIN (SELECT customer_id, min(order_date) AS first_seen_date FROM core.orders GROUP BY customer_id) f
           USING (customer_id)
),
expected AS (
    SELECT s.snapshot_date, count(k.customer_id) AS customers
    FROM snapshots s
    LEFT JOIN known k ON k.known_date IS NULL OR k.known_date <= s.snapshot_date
    GROUP BY s.snapshot_date
),
staged AS (       -- known customers with a valid stage, per snapshot and stage
    SELECT l.snapshot_date, l.stage, count(DISTINCT l.customer_id) AS customers
    FROM analytics.lifecycle l
    JOIN known k ON k.customer_id = l.customer_id
                AND (k.known_date IS NULL OR k.known_date <= l.snapshot_date)
    WHERE list_contains($stages, l.stage)
    GROUP BY ALL
),
table_rows AS (SELECT snapshot_date, count(*) AS table_rows FROM analytics.lifecycle GROUP BY ALL),
shares AS (
    SELECT e.snapshot_date, e.customers,
           CASE WHEN e.customers = 0 THEN 1.0
                ELSE coalesce(sum(s.customers / e.customers), 0) END AS share_sum,
           coalesce(sum(s.customers), 0) AS staged
    FROM expected e
    LEFT JOIN staged s USING (snapshot_date)
    GROUP BY e.snapshot_date, e.customers
)
SELECT snapshot_date || ': stage shares sum to ' || round(100 * share_sum, 4)
       || '% (' || staged || ' known customers staged of ' || customers || ', '
       || coalesce(table_rows, 0) || ' rows)' AS sample
FROM shares
LEFT JOIN table_rows USING (snapshot_date)
WHERE abs(share_sum - 1) > 1e-9 OR coalesce(table_rows, 0) <> customers
ORDER BY snapshot_date;

-- name: unexpected_snapshots
SELECT 'unexpected snapshot ' || snapshot_date AS sample FROM (
    SELECT DISTINCT snapshot_date FROM analytics.lifecycle
    EXCEPT SELECT unnest(CAST($snapshots AS DATE[])))
UNION ALL
SELECT DISTINCT 'is_current wrong on ' || snapshot_date FROM analytics.lifecycle
WHERE is_current IS DISTINCT FROM (snapshot_date = $as_of)
ORDER BY sample;

-- name: transitions_off_later_snapshot
WITH snaps AS (
    SELECT snapshot_date, count(*) AS customers,
           row_number() OVER (ORDER BY snapshot_date) AS position
    FROM analytics.lifecycle GROUP BY snapshot_date
),
moved AS (
    SELECT snapshot_date, sum(customers) AS customers
    FROM analytics.lifecycle_transitions GROUP BY snapshot_date
)
SELECT coalesce(s.snapshot_date, m.snapshot_date) || ': transitions '
       || coalesce(m.customers, 0) || ', snapshot ' || coalesce(s.customers, 0) AS sample
FROM (SELECT * FROM snaps WHERE position > 1) s
FULL JOIN moved m USING (snapshot_date)
WHERE s.customers IS DISTINCT FROM m.customers
ORDER BY sample;

-- name: transitions_off_earlier_stages
WITH moved AS (
    SELECT previous_snapshot_date AS snapshot_date, from_stage AS stage, sum(customers) AS customers
    FROM analytics.lifecycle_transitions WHERE from_stage <> $first_seen_stage GROUP BY ALL
),
staged AS (
    SELECT snapshot_date, stage, count(*) AS customers
    FROM analytics.lifecycle
    WHERE snapshot_date IN (SELECT previous_snapshot_date FROM analytics.lifecycle_transitions)
    GROUP BY ALL
)
SELECT snapshot_date || ' ' || stage || ': moved ' || coalesce(m.customers, 0)
       || ', staged ' || coalesce(s.customers, 0) AS sample
FROM staged s
FULL JOIN moved m USING (snapshot_date, stage)
WHERE s.customers IS DISTINCT FROM m.customers
ORDER BY sample;
