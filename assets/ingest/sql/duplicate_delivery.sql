-- Content loaded before under another name: logged as a duplicate delivery of the first file.
INSERT INTO raw.load_log (kind, source_file, sheet, file_hash, rows_read, status, unmapped_columns,
                          loaded_at, file_modified_at, header_row, blank_rows, reading)
SELECT $kind, $source_file, $sheet, $file_hash, max(rows_read), 'duplicate_delivery', [], $loaded_at,
       $file_modified_at, max(header_row), max(blank_rows), 'same content as ' || min(source_file)
FROM raw.load_log
WHERE kind = $kind AND file_hash = $file_hash AND sheet IS NOT DISTINCT FROM $sheet AND status = 'loaded';
