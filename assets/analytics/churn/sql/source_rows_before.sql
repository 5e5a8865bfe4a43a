-- 1 when the source table of a feature group has a customer row dated on or before $cutoff, else 0.
SELECT count(*) FROM (SELECT 1 FROM {{ table }} WHERE {{ column }} <= $cutoff AND customer_id IS NOT NULL LIMIT 1)
