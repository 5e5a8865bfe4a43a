-- The rows of one table of one file (registered as incoming_export), and its raw.load_log entry.
INSERT INTO raw.{{ kind }} BY NAME SELECT * FROM incoming_export;

INSERT INTO raw.load_log (kind, source_file, sheet, file_hash, rows_read, status, unmapped_columns,
                          loaded_at, file_modified_at, header_row, blank_rows, reading)
VALUES ($kind, $source_file, $sheet, $file_hash, $rows_read, 'loaded', $unmapped_columns, $loaded_at,
        $file_modified_at, $header_row, $blank_rows, $reading);
