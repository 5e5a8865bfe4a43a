-- Included by segment_strategy.sql and prospects.sql (not run by itself): the WITH items naming each
-- relation of the structure's optional list, its analytics table or, when that table is not built,
-- no rows with the columns read.
{% for relation in optional %}
{{ relation.name }} AS (
{% if relation.built %}
    SELECT * FROM analytics.{{ relation.table }}
{% else %}
    SELECT {% for column, kind in relation.columns %}CAST(NULL AS {{ kind }}) AS {{ column }}{% if not loop.last %}, {% endif %}{% endfor %} WHERE false
{% endif %}
),
{% endfor %}
