CREATE TABLE IF NOT EXISTS quality.reconciliation (
    kind VARCHAR PRIMARY KEY, rows_read BIGINT, rows_staged BIGINT, rows_quarantined BIGINT,
    duplicates_collapsed BIGINT, duplicate_delivery_rows BIGINT, superseded_rows BIGINT,
    repeated_key_rows BIGINT, built_at TIMESTAMP);

CREATE TABLE IF NOT EXISTS quality.reconciliation_by_file (
    kind VARCHAR, source_file VARCHAR, sheet VARCHAR, rows_read BIGINT, rows_staged BIGINT,
    rows_quarantined BIGINT, rows_collapsed BIGINT, rows_rejected BIGINT, duplicate_delivery_rows BIGINT,
    superseded_rows BIGINT, repeated_key_rows BIGINT, blank_rows BIGINT, note VARCHAR);
