CREATE SCHEMA IF NOT EXISTS quality;

CREATE TABLE IF NOT EXISTS quality.quarantine (
    kind VARCHAR, source_file VARCHAR, sheet VARCHAR, row_number BIGINT, column_name VARCHAR,
    rule VARCHAR, raw_value VARCHAR, loaded_at TIMESTAMP, stage VARCHAR, resolved BOOLEAN,
    resolved_by_file VARCHAR);
