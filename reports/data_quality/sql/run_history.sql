-- The latest $runs check runs, newest first: start time, as-of date and expectations passed and
-- failed by severity (ERROR = blocking, anything else advisory).
SELECT run_id, max(as_of) AS as_of, min(validated_at) AS started, count(*) AS total,
       count(*) FILTER (WHERE success IS TRUE AND severity = 'ERROR') AS passed_error,
       count(*) FILTER (WHERE success IS TRUE AND severity IS DISTINCT FROM 'ERROR') AS passed_warn,
       count(*) FILTER (WHERE success IS NOT TRUE AND severity = 'ERROR') AS failed_error,
       count(*) FILTER (WHERE success IS NOT TRUE AND severity IS DISTINCT FROM 'ERROR') AS failed_warn
FROM quality.validation_results
GROUP BY run_id
ORDER BY started DESC, run_id DESC
LIMIT CAST($runs AS BIGINT)
