-- The expectations of run $run_id that did not pass, blocking first.
SELECT severity, table_name, check_name, expectation, column_name, element_count, unexpected_count,
       unexpected_percent, sample_values
FROM quality.validation_results
WHERE run_id = $run_id AND success IS NOT TRUE
ORDER BY CASE severity WHEN 'ERROR' THEN 0 ELSE 1 END, table_name, check_name, expectation,
         column_name NULLS FIRST, sample_values
