-- One text record of the wrong width or totals row (run with executemany, one parameter set a row).
INSERT INTO quality.quarantine
VALUES ($kind, $source_file, $sheet, $row_number, NULL, $rule, $raw_value, $loaded_at, 'ingest', false, NULL);
