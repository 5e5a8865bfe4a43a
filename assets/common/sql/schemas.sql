-- The schemas of the warehouse layers that are not there yet.
{% for schema in schemas %}
CREATE SCHEMA IF NOT EXISTS {{ schema }};
{% endfor %}
