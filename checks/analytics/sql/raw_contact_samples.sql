-- The first customers (by id) of `table` whose text column `column` holds an e-mail address or a
-- phone number (as in raw_contact_counts.sql); $limit of them.
SELECT customer_id FROM {{ table }}
WHERE regexp_matches("{{ column }}", $email_pattern)
{% for i in range(1, phone_patterns + 1) %}
   OR regexp_matches("{{ column }}", $phone_patterns[{{ i }}])
{% endfor %}
ORDER BY customer_id
LIMIT CAST($limit AS INTEGER);
