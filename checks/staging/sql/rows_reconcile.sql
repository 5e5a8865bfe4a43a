-- The row accounting of staging.<kind> recomputed from the load log, the staging table and the
-- quarantine, beside what quality.reconciliation says (structure: kind; value: $kind).
SELECT
    (SELECT coalesce(sum(rows_read), 0) FROM raw.load_log WHERE kind = $kind) AS rows_read,
    (SELECT count(*) FROM staging.{{ kind }}) AS rows_staged,
    (SELECT count(*) FROM (SELECT DISTINCT source_file, sheet, row_number, loaded_at
                           FROM quality.quarantine WHERE kind = $kind)) AS rows_quarantined,
    (SELECT duplicates_collapsed FROM quality.reconciliation WHERE kind = $kind) AS duplicates_collapsed,
    (SELECT count(*) FROM raw.{{ kind }}) AS raw_rows,
    (SELECT count(*) FROM quality.quarantine WHERE kind = $kind AND stage = 'ingest') AS malformed_rows,
    (SELECT coalesce(sum(rows_read), 0) FROM raw.load_log
      WHERE kind = $kind AND status = 'duplicate_delivery') AS duplicate_delivery_rows;
