-- Where (and how) this content of this table was logged before.
SELECT source_file, status
FROM raw.load_log
WHERE kind = $kind AND file_hash = $file_hash AND sheet IS NOT DISTINCT FROM $sheet;
