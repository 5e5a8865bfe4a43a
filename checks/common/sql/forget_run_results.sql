-- The outcomes one run recorded for a check on a table (a retried step records them again).
DELETE FROM quality.validation_results
WHERE run_id = $run_id AND check_name = $check_name AND table_name = $table_name;
