-- Rows of `table`, and per text column of `columns` the rows holding an e-mail address
-- ($email_pattern) or a phone number (any of the `phone_patterns` patterns of $phone_patterns).
SELECT count(*)
{% for column in columns %}
       , count(*) FILTER (WHERE regexp_matches("{{ column }}", $email_pattern)
{% for i in range(1, phone_patterns + 1) %}
                                OR regexp_matches("{{ column }}", $phone_patterns[{{ i }}])
{% endfor %}
                          )
{% endfor %}
FROM {{ table }};
