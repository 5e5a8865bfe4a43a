CREATE TABLE IF NOT EXISTS quality.validation_results (
    check_name VARCHAR, table_name VARCHAR, expectation VARCHAR, column_name VARCHAR, success BOOLEAN,
    element_count BIGINT, unexpected_count BIGINT, unexpected_percent DOUBLE, sample_values VARCHAR,
    severity VARCHAR, run_id VARCHAR, as_of DATE, validated_at TIMESTAMP);
