-- Per (file, sheet) of one kind, recomputed from the load log, the rejections, the staging table,
-- the quarantine and the raw table, beside what quality.reconciliation_by_file says
-- (structure: kind; value: $kind).
WITH log AS (
    SELECT source_file, sheet, coalesce(sum(rows_read) FILTER (status = 'loaded'), 0) AS loaded,
           coalesce(sum(rows_read) FILTER (status = 'duplicate_delivery'), 0) AS duplicates
    FROM raw.load_log WHERE kind = $kind GROUP BY ALL
),
rejected AS (
    SELECT source_file, sheet, coalesce(sum(rows_rejected), 0) AS n FROM quality.file_rejections
    WHERE coalesce(kind, 'unknown') = $kind GROUP BY ALL
),
staged AS (SELECT _source_file AS source_file, _sheet AS sheet, count(*) AS n FROM staging.{{ kind }} GROUP BY ALL),
raw_rows AS (SELECT _source_file AS source_file, _sheet AS sheet, count(*) AS n FROM raw.{{ kind }} GROUP BY ALL),
quarantined AS (
    SELECT source_file, sheet, count(*) AS n, count(*) FILTER (stage = 'ingest') AS ingest
    FROM (SELECT source_file, sheet, row_number, loaded_at, min(stage) AS stage FROM quality.quarantine
          WHERE kind = $kind GROUP BY ALL)
    GROUP BY ALL
),
files AS (SELECT source_file, sheet FROM log UNION SELECT source_file, sheet FROM rejected),
recorded AS (SELECT * FROM quality.reconciliation_by_file WHERE kind = $kind)
SELECT f.source_file, f.sheet,
       coalesce(l.loaded, 0) + coalesce(l.duplicates, 0) + coalesce(r.n, 0) AS rows_read,
       coalesce(s.n, 0) AS rows_staged, coalesce(q.n, 0) AS rows_quarantined, coalesce(r.n, 0) AS rows_rejected,
       b.rows_collapsed, b.rows_read AS table_read, b.rows_staged AS table_staged,
       b.rows_quarantined AS table_quarantined, b.rows_rejected AS table_rejected,
       coalesce(w.n, 0) + coalesce(q.ingest, 0) = coalesce(l.loaded, 0) AS raw_matches_log
FROM files f
{% for relation, alias in [("log", "l"), ("rejected", "r"), ("staged", "s"), ("raw_rows", "w"), ("quarantined", "q"), ("recorded", "b")] %}
LEFT JOIN {{ relation }} {{ alias }} ON {{ alias }}.source_file = f.source_file AND {{ alias }}.sheet IS NOT DISTINCT FROM f.sheet
{% endfor %}
ORDER BY f.source_file, f.sheet NULLS FIRST;
