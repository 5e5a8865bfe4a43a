-- analytics.lifecycle_transitions: customers per month and (from_stage, to_stage) between consecutive
-- snapshots of analytics.lifecycle. A customer not on the previous snapshot comes from
-- $first_seen_stage ($first_seen_stage_name); $stages and $stage_names: the stage codes and their
-- Chinese names, in the same order.
CREATE OR REPLACE TABLE analytics.lifecycle_transitions AS
WITH snapshots AS (
    SELECT snapshot_date, lag(snapshot_date) OVER (ORDER BY snapshot_date) AS previous_snapshot_date
    FROM (SELECT DISTINCT snapshot_date FROM analytics.lifecycle)
),
moves AS (
    SELECT s.previous_snapshot_date, s.snapshot_date,
           coalesce(p.stage, CAST($first_seen_stage AS VARCHAR)) AS from_stage, c.stage AS to_stage, c.as_of
    FROM analytics.lifecycle c
    JOIN snapshots s ON s.snapshot_date = c.snapshot_date AND s.previous_snapshot_date IS NOT NULL
    LEFT JOIN analytics.lifecycle p
           ON p.customer_id = c.customer_id AND p.snapshot_date = s.previous_snapshot_date
)
SELECT CAST(date_trunc('month', snapshot_date) AS DATE) AS month, previous_snapshot_date, snapshot_date,
       from_stage,
       CASE WHEN from_stage = $first_seen_stage THEN CAST($first_seen_stage_name AS VARCHAR)
            ELSE CAST($stage_names AS VARCHAR[])[list_position($stages, from_stage)] END AS from_stage_zh,
       to_stage,
       CAST($stage_names AS VARCHAR[])[list_position($stages, to_stage)] AS to_stage_zh,
       count(*) AS customers,
       as_of
FROM moves
GROUP BY ALL
ORDER BY snapshot_date, from_stage, to_stage;
