{#
  The number columns of one export kind, read with one decimal separator per column and file version
  (assets/staging/numbers.py). The macros are imported by the staging query (typed.sql) and by the
  plausibility bound (amount_bound.sql); the statements below parse every number value of raw.<kind>
  once and decide every file version's separators, into two temp tables for one build.
  Structure: kind, columns (the number columns), parsed and evidence (the temp tables).
  A macro is used as {% call macro(...) %}{% endcall %}: its text is SQL of this folder, not data.
#}
{% macro parsed_steps(base, columns) %}{% if caller %}{% endif %}
_parse_text AS (SELECT *, {% for c in columns %}{% if not loop.first %}, {% endif %}crm_text({{ c }}) AS _{{ c }}__text{% endfor %} FROM {{ base }}),
_parse_parts AS (SELECT *, {% for c in columns %}{% if not loop.first %}, {% endif %}crm_number_parts_of(_{{ c }}__text) AS _{{ c }}__parts{% endfor %} FROM _parse_text),
_parse_body AS (SELECT *, {% for c in columns %}{% if not loop.first %}, {% endif %}crm_number_body(_{{ c }}__parts) AS _{{ c }}__body{% endfor %} FROM _parse_parts),
_parse_format AS (SELECT *, {% for c in columns %}{% if not loop.first %}, {% endif %}crm_number_format_of(_{{ c }}__body) AS _{{ c }}__format{% endfor %} FROM _parse_body)
{%- endmacro %}

{# One row per file version of parsed (rows with the parse steps done): per column the count of
   values present and of each format, and the decision ($decimal_separator: the setting). #}
{% macro evidence_of(parsed, columns) %}{% if caller %}{% endif %}
SELECT *, {% for c in columns %}{% if not loop.first %}, {% endif %}crm_decimal_decision(_{{ c }}__dot, _{{ c }}__comma, {% for d in columns %}{% if not loop.first %} + {% endif %}_{{ d }}__dot{% endfor %}, {% for d in columns %}{% if not loop.first %} + {% endif %}_{{ d }}__comma{% endfor %}, CAST($decimal_separator AS VARCHAR)) AS _{{ c }}__decision{% endfor %} FROM (
    SELECT _source_file, _sheet, _file_hash, max(_loaded_at) AS _loaded_at,
           {% for c in columns %}{% if not loop.first %}, {% endif %}count(_{{ c }}__text) AS _{{ c }}__present, count(*) FILTER (WHERE _{{ c }}__format = 'dot') AS _{{ c }}__dot, count(*) FILTER (WHERE _{{ c }}__format = 'comma') AS _{{ c }}__comma, count(*) FILTER (WHERE _{{ c }}__format = 'ambiguous') AS _{{ c }}__ambiguous{% endfor %}

    FROM {{ parsed }} GROUP BY _source_file, _sheet, _file_hash)
{%- endmacro %}

{# raw.<kind> with every helper column of the number columns: per value its text, parts, digits and
   format, its file version's decision, its exact value and, when it cannot be used, its problem.
   With parsed and evidence (temp tables of this build) the parsing and the decision were done
   once; without them they are done in the query. #}
{% macro source(kind, columns, parsed=none, evidence=none) %}{% if caller %}{% endif %}
(WITH {% if parsed %}_decided AS (SELECT r.*, {% for c in columns %}{% if not loop.first %}, {% endif %}e._{{ c }}__decision{% endfor %} FROM {{ parsed }} r JOIN {{ evidence }} e
{% else %}{% call parsed_steps("raw." ~ kind, columns) %}{% endcall %},
_decided AS (SELECT r.*, {% for c in columns %}{% if not loop.first %}, {% endif %}e._{{ c }}__decision{% endfor %} FROM _parse_format r JOIN ({% call evidence_of("_parse_format", columns) %}{% endcall %}) e
{% endif %}
    ON e._source_file = r._source_file AND e._sheet IS NOT DISTINCT FROM r._sheet AND e._file_hash = r._file_hash),
_valued AS (SELECT *, {% for c in columns %}{% if not loop.first %}, {% endif %}crm_number_value_of(_{{ c }}__parts, _{{ c }}__body, crm_reading_mark(_{{ c }}__format, _{{ c }}__decision['mark'])) AS _{{ c }}__value{% endfor %} FROM _decided),
_read AS (SELECT *, {% for c in columns %}{% if not loop.first %}, {% endif %}crm_number_problem_of(_{{ c }}__text, _{{ c }}__format, _{{ c }}__decision['mark'], _{{ c }}__value) AS _{{ c }}__problem{% endfor %} FROM _valued)
SELECT * FROM _read)
{%- endmacro %}

{% if kind is defined %}
CREATE OR REPLACE TEMP TABLE {{ parsed }} AS
WITH {% call parsed_steps("raw." ~ kind, columns) %}{% endcall %}
SELECT * FROM _parse_format;

CREATE OR REPLACE TEMP TABLE {{ evidence }} AS
{% call evidence_of(parsed, columns) %}{% endcall %};
{% endif %}
