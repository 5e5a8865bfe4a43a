-- The classification of every file (and sheet) seen in an earlier scan.
SELECT source_file, sheet, status, kind, header_row, reason, data_rows, delimiter, file_hash, file_size,
       file_mtime_ns, fingerprint, trusted
FROM raw.inbox_files
ORDER BY source_file, sheet NULLS FIRST;
