-- One outcome (run with executemany, one parameter set per outcome).
INSERT INTO quality.validation_results
VALUES ($check_name, $table_name, $expectation, $column_name, $success, $element_count, $unexpected_count,
        $unexpected_percent, $sample_values, $severity, $run_id, $as_of, $validated_at);
