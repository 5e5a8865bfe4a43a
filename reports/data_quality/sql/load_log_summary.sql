-- raw.load_log per export kind: files loaded, duplicate deliveries, rows read by the loaded files,
-- files with unrecognised columns, last load time.
SELECT kind,
       count(*) FILTER (WHERE status = 'loaded') AS files,
       count(*) FILTER (WHERE status = 'duplicate_delivery') AS duplicate_files,
       coalesce(sum(rows_read) FILTER (WHERE status = 'loaded'), 0) AS rows_read,
       count(*) FILTER (WHERE len(coalesce(unmapped_columns, [])) > 0) AS unmapped,
       max(loaded_at) AS last_loaded
FROM raw.load_log
GROUP BY kind
ORDER BY kind
