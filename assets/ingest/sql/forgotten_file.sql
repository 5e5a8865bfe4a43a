-- The previous classification of a file (its tables are stored again after it).
DELETE FROM raw.inbox_files WHERE source_file = $source_file;
