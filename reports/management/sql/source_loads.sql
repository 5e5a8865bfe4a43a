-- Per export kind: files loaded, rows read from them, duplicate deliveries skipped.
SELECT kind, count(*) FILTER (WHERE status = 'loaded') AS files,
       coalesce(sum(rows_read) FILTER (WHERE status = 'loaded'), 0) AS rows_read,
       count(*) FILTER (WHERE status = 'duplicate_delivery') AS duplicates
FROM raw.load_log GROUP BY kind ORDER BY kind
