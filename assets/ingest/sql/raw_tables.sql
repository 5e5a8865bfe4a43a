-- raw.<kind> (every canonical column as text, then the lineage columns) and raw.load_log, with the
-- columns later versions introduced added to older warehouses.
{% set lineage = [
    ("_source_file", "VARCHAR"), ("_sheet", "VARCHAR"), ("_row_number", "BIGINT"), ("_file_hash", "VARCHAR"),
    ("_loaded_at", "TIMESTAMP"), ("_file_modified_at", "TIMESTAMP"), ("_file_sequence", "INTEGER"),
] %}
CREATE TABLE IF NOT EXISTS raw.{{ kind }} (
{% for column in columns %}
    "{{ column }}" VARCHAR,
{% endfor %}
{% for column, sql_type in lineage %}
    {{ column }} {{ sql_type }}{% if not loop.last %},{% endif %}

{% endfor %}
);
{% for column in columns %}
ALTER TABLE raw.{{ kind }} ADD COLUMN IF NOT EXISTS "{{ column }}" VARCHAR;
{% endfor %}
{% for column, sql_type in lineage %}
ALTER TABLE raw.{{ kind }} ADD COLUMN IF NOT EXISTS {{ column }} {{ sql_type }};
{% endfor %}

CREATE TABLE IF NOT EXISTS raw.load_log (
    kind VARCHAR, source_file VARCHAR, sheet VARCHAR, file_hash VARCHAR, rows_read BIGINT,
    status VARCHAR, unmapped_columns VARCHAR[], loaded_at TIMESTAMP);
{% for column, sql_type in [
    ("file_modified_at", "TIMESTAMP"), ("header_row", "INTEGER"), ("blank_rows", "BIGINT"), ("reading", "VARCHAR"),
] %}
ALTER TABLE raw.load_log ADD COLUMN IF NOT EXISTS {{ column }} {{ sql_type }};
{% endfor %}
