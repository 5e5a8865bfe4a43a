{% for table in tables %}
DROP TABLE IF EXISTS {{ table }};
{% endfor %}
