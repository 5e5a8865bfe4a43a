-- A file classified the same way as before: only what tells its version apart changes.
UPDATE raw.inbox_files
SET trusted = $trusted, fingerprint = $fingerprint, file_size = $file_size, file_mtime_ns = $file_mtime_ns,
    file_modified_at = $file_modified_at
WHERE source_file = $source_file;
