CREATE SCHEMA IF NOT EXISTS quality;

CREATE TABLE IF NOT EXISTS quality.number_formats (
    kind VARCHAR, source_file VARCHAR, sheet VARCHAR, column_name VARCHAR, decimal_separator VARCHAR,
    decided_by VARCHAR, values_present BIGINT, dot_evidence BIGINT, comma_evidence BIGINT, ambiguous_values BIGINT);
