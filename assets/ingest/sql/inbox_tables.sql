CREATE TABLE IF NOT EXISTS raw.inbox_files (
    source_file VARCHAR, sheet VARCHAR, source VARCHAR, status VARCHAR, kind VARCHAR, header_row INTEGER,
    reason VARCHAR, data_rows BIGINT, delimiter VARCHAR, file_hash VARCHAR, file_size BIGINT,
    file_mtime_ns BIGINT, file_modified_at TIMESTAMP, file_sequence INTEGER, fingerprint VARCHAR,
    trusted BOOLEAN, scanned_at TIMESTAMP);

CREATE SCHEMA IF NOT EXISTS quality;

CREATE TABLE IF NOT EXISTS quality.file_rejections (
    source VARCHAR, source_file VARCHAR, file_hash VARCHAR, error VARCHAR, rejected_at TIMESTAMP);
{% for column, sql_type in [("sheet", "VARCHAR"), ("kind", "VARCHAR"), ("rows_rejected", "BIGINT")] %}
ALTER TABLE quality.file_rejections ADD COLUMN IF NOT EXISTS {{ column }} {{ sql_type }};
{% endfor %}
