-- Stage-to-stage customer counts of the latest monthly transition.
SELECT previous_snapshot_date, snapshot_date, from_stage, from_stage_zh, to_stage, to_stage_zh, customers
FROM analytics.lifecycle_transitions
WHERE month = (SELECT max(month) FROM analytics.lifecycle_transitions) AND customers > 0
ORDER BY from_stage, to_stage
