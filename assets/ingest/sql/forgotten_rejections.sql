-- The rejections of a file's content, before its tables are classified again.
DELETE FROM quality.file_rejections WHERE source_file = $source_file AND file_hash = $file_hash;
