{#
  staging.<kind> from the ranked rows (one per business key: the latest delivery), and the kind's
  staging quarantine entries refreshed; run in the build's transaction after typed.sql.
  Structure: kind, columns, key, rules (as typed.sql). Values: $kind, and per rule its raw column
  and quarantine rule text ($rule_columns, $rule_texts, in the order of the rules).
#}
CREATE OR REPLACE TABLE staging.{{ kind }} AS
SELECT {% for c in columns %}{{ c }}, {% endfor %}_source_file, _sheet, _row_number, _loaded_at
FROM _ranked WHERE _rank = 1
ORDER BY {% for k in key %}{% if not loop.first %}, {% endif %}{{ k }}{% endfor %};

DELETE FROM quality.quarantine WHERE kind = $kind AND stage = 'staging';

{# A quarantined row is resolved when a later delivery brought a valid row with the same business key,
   or when its file was re-delivered. In a fixed order: the window functions of the typed query (line
   numbers, date order) leave its rows in no particular order, and reruns must give identical tables. #}
{% if rules %}
INSERT INTO quality.quarantine
SELECT * FROM (
{% for rule in rules %}
{% set i = loop.index0 %}
{% if not loop.first %}
    UNION ALL
{% endif %}
    SELECT $kind, t._source_file, t._sheet, t._row_number, $rule_columns[{{ loop.index }}], $rule_texts[{{ loop.index }}],
           t._raw_{{ i }}, t._loaded_at, 'staging', t._superseded OR s._source_file IS NOT NULL,
           CASE WHEN t._superseded THEN t._source_file ELSE s._source_file END
    FROM _typed t
    LEFT JOIN _ranked s
      ON {% for k in key %}{% if not loop.first %} AND {% endif %}s.{{ k }} IS NOT DISTINCT FROM t.{{ k }}{% endfor %}

     AND s._rank = 1
     AND (s._loaded_at, coalesce(s._file_modified_at, TIMESTAMP '1970-01-01'), coalesce(s._file_sequence, 0))
       > (t._loaded_at, coalesce(t._file_modified_at, TIMESTAMP '1970-01-01'), coalesce(t._file_sequence, 0))
    WHERE t._fail_{{ i }}
{% endfor %}
) ORDER BY 2, 3 NULLS FIRST, 4, 5, 6;
{% endif %}

{# Ingest quarantine entries of a file that was delivered again since are resolved by it. #}
UPDATE quality.quarantine q SET resolved = true, resolved_by_file = q.source_file
WHERE q.kind = $kind AND q.stage = 'ingest' AND q.loaded_at < (
    SELECT max(l.loaded_at) FROM raw.load_log l WHERE l.kind = q.kind AND l.status = 'loaded'
    AND l.source_file = q.source_file AND l.sheet IS NOT DISTINCT FROM q.sheet);
