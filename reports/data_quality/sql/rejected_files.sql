-- Rejected files, newest first (at most $limit), with the number of rejections in all.
SELECT source, source_file, error, rejected_at, count(*) OVER () AS files
FROM quality.file_rejections
ORDER BY rejected_at DESC, source_file, error
LIMIT CAST($limit AS BIGINT)
