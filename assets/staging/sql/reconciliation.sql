{#
  The row accounting of one build of staging.<kind> (after staging_table.sql, in its transaction):
  quality.reconciliation per kind, rows read = rows staged + rows quarantined + duplicates collapsed
  (duplicate deliveries, superseded file versions and repeated business keys); then
  quality.reconciliation_by_file per (kind, file, sheet), where rows of files or sheets rejected whole
  count too (rows read = staged + quarantined + collapsed + rejected), with the rows of files whose
  kind could not be told ('unknown'), which only rejections feed. The last statement returns the
  kind's accounting. Structure: kind, rules (as typed.sql). Value: $kind.
#}
{% macro any_failure() %}{% if caller %}{% endif %}
({% for rule in rules %}{% if not loop.first %} OR {% endif %}_fail_{{ loop.index0 }}{% else %}false{% endfor %})
{%- endmacro %}
INSERT OR REPLACE INTO quality.reconciliation
SELECT $kind, l.rows_read, s.staged, q.quarantined,
       l.duplicate_delivery_rows + t.superseded_valid + (t.current_valid - s.staged),
       l.duplicate_delivery_rows, t.superseded_valid, t.current_valid - s.staged, now()
FROM (SELECT coalesce(sum(rows_read), 0) AS rows_read,
             coalesce(sum(rows_read) FILTER (status = 'duplicate_delivery'), 0) AS duplicate_delivery_rows
      FROM raw.load_log WHERE kind = $kind) l,
     (SELECT count(*) FILTER (_superseded) AS superseded_valid, count(*) FILTER (NOT _superseded) AS current_valid
      FROM _typed WHERE NOT {% call any_failure() %}{% endcall %}) t,
     (SELECT count(*) AS staged FROM staging.{{ kind }}) s,
     (SELECT count(*) AS quarantined
      FROM (SELECT DISTINCT source_file, sheet, row_number, loaded_at FROM quality.quarantine WHERE kind = $kind)) q;

DELETE FROM quality.reconciliation_by_file WHERE kind IN ($kind, 'unknown');

INSERT INTO quality.reconciliation_by_file
WITH log AS (
    SELECT source_file, sheet,
           coalesce(sum(rows_read) FILTER (status = 'loaded'), 0) AS loaded_rows,
           coalesce(sum(rows_read) FILTER (status = 'duplicate_delivery'), 0) AS duplicate_rows,
           coalesce(sum(blank_rows) FILTER (status = 'loaded'), 0) AS blank_rows
    FROM raw.load_log WHERE kind = $kind GROUP BY ALL
),
rejected AS (
    SELECT source_file, sheet, coalesce(sum(rows_rejected), 0) AS rows_rejected,
           string_agg('rejected: ' || left(error, 300), ' | ' ORDER BY rejected_at, file_hash) AS note
    FROM quality.file_rejections WHERE coalesce(kind, 'unknown') = $kind GROUP BY ALL
),
staged AS (SELECT _source_file AS source_file, _sheet AS sheet, count(*) AS n FROM staging.{{ kind }} GROUP BY ALL),
quarantined AS (
    SELECT source_file, sheet, count(*) AS n
    FROM (SELECT DISTINCT source_file, sheet, row_number, loaded_at FROM quality.quarantine WHERE kind = $kind)
    GROUP BY ALL
),
superseded AS (
    SELECT _source_file AS source_file, _sheet AS sheet, count(*) AS n FROM _typed
    WHERE NOT {% call any_failure() %}{% endcall %} AND _superseded GROUP BY ALL
),
repeated AS (
    SELECT _source_file AS source_file, _sheet AS sheet, count(*) AS n FROM _ranked WHERE _rank > 1 GROUP BY ALL
),
files AS (SELECT source_file, sheet FROM log UNION SELECT source_file, sheet FROM rejected)
SELECT $kind, f.source_file, f.sheet,
       coalesce(l.loaded_rows, 0) + coalesce(l.duplicate_rows, 0) + coalesce(r.rows_rejected, 0),
       coalesce(s.n, 0), coalesce(q.n, 0),
       coalesce(l.duplicate_rows, 0) + coalesce(sp.n, 0) + coalesce(rp.n, 0),
       coalesce(r.rows_rejected, 0), coalesce(l.duplicate_rows, 0), coalesce(sp.n, 0), coalesce(rp.n, 0),
       coalesce(l.blank_rows, 0), r.note
FROM files f
{% for relation, alias in [("log", "l"), ("rejected", "r"), ("staged", "s"), ("quarantined", "q"), ("superseded", "sp"), ("repeated", "rp")] %}
LEFT JOIN {{ relation }} {{ alias }} ON {{ alias }}.source_file = f.source_file AND {{ alias }}.sheet IS NOT DISTINCT FROM f.sheet
{% endfor %}
ORDER BY f.source_file, f.sheet NULLS FIRST;

INSERT INTO quality.reconciliation_by_file
SELECT 'unknown', source_file, sheet, coalesce(sum(rows_rejected), 0), 0, 0, 0, coalesce(sum(rows_rejected), 0),
       0, 0, 0, 0, string_agg('rejected: ' || left(error, 300), ' | ' ORDER BY rejected_at, file_hash)
FROM quality.file_rejections WHERE coalesce(kind, 'unknown') = 'unknown'
GROUP BY source_file, sheet ORDER BY source_file, sheet NULLS FIRST;

SELECT rows_read, rows_staged, rows_quarantined, duplicates_collapsed FROM quality.reconciliation WHERE kind = $kind;
