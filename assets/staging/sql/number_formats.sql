{# The rows of $kind in quality.number_formats: per current file (the latest delivery of each file
   and sheet) and number column with values, the decimal separator decided and its evidence.
   Structure: columns (the number columns, also bound as $column_names), evidence (its temp table). #}
DELETE FROM quality.number_formats WHERE kind = $kind;

INSERT INTO quality.number_formats
WITH current_files AS (
    SELECT * FROM {{ evidence }}
    QUALIFY _loaded_at = max(_loaded_at) OVER (PARTITION BY _source_file, _sheet)
)
{% for c in columns %}
{% if not loop.first %}
UNION ALL
{% endif %}
SELECT $kind, _source_file, _sheet, $column_names[{{ loop.index }}], _{{ c }}__decision['mark'], _{{ c }}__decision['decided_by'],
       _{{ c }}__present, _{{ c }}__dot, _{{ c }}__comma, _{{ c }}__ambiguous
FROM current_files WHERE _{{ c }}__present > 0
{% endfor %}
ORDER BY 2, 3 NULLS FIRST, 4;
