-- Quarantined rows per (export kind, file), most unresolved first, at most $limit rows, with the
-- number of (kind, file) pairs in all.
SELECT kind, source_file,
       count(*) FILTER (WHERE resolved IS NOT TRUE) AS unresolved,
       count(*) FILTER (WHERE resolved IS TRUE) AS resolved, count(*) AS total,
       count(*) OVER () AS files
FROM quality.quarantine
GROUP BY kind, source_file
ORDER BY unresolved DESC, total DESC, kind, source_file
LIMIT CAST($limit AS BIGINT)
