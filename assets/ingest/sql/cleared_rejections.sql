-- A table that loaded (or was recognised as a duplicate) is no longer rejected.
DELETE FROM quality.file_rejections
WHERE source_file = $source_file AND file_hash = $file_hash AND (sheet IS NULL OR sheet IS NOT DISTINCT FROM $sheet);
