-- One table of a classified file (run with executemany, one parameter set a table).
INSERT INTO raw.inbox_files
VALUES ($source_file, $sheet, $source, $status, $kind, $header_row, $reason, $data_rows, $delimiter, $file_hash,
        $file_size, $file_mtime_ns, $file_modified_at, $file_sequence, $fingerprint, $trusted, $scanned_at);
