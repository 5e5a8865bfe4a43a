-- Rejections the all_files_readable check of a kind lists: files or sheets of this kind, and those
-- whose kind could not be told that lie in this kind's source folder or outside any source folder;
-- a file loaded again since (another content, later) no longer counts.
SELECT source_file || coalesce(' [sheet ' || sheet || ']', '') AS label, error
FROM quality.file_rejections r
WHERE (coalesce(kind, 'unknown') = $kind
       OR (coalesce(kind, 'unknown') = 'unknown' AND source IN ($source, 'unknown')))
  AND NOT EXISTS (SELECT 1 FROM raw.load_log l WHERE l.source_file = r.source_file
                  AND l.file_hash <> r.file_hash AND l.loaded_at > r.rejected_at)
ORDER BY source_file, sheet NULLS FIRST;
