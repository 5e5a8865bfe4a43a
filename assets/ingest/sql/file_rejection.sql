-- A rejected file or sheet, listed once per content.
DELETE FROM quality.file_rejections
WHERE source_file = $source_file AND file_hash IS NOT DISTINCT FROM $file_hash AND sheet IS NOT DISTINCT FROM $sheet;

INSERT INTO quality.file_rejections (source, source_file, file_hash, error, rejected_at, sheet, kind, rows_rejected)
VALUES ($source, $source_file, $file_hash, $error, $rejected_at, $sheet, $kind, $rows_rejected);
