-- The first and latest dates of the action lists issued, and how many (from the list history when it
-- is built, structure: with_history, else from the current list).
{% if with_history %}
SELECT min(list_date) AS first, max(list_date) AS latest, count(DISTINCT list_date) AS n
FROM analytics.action_list_history
{% else %}
SELECT min(as_of) AS first, max(as_of) AS latest, count(DISTINCT as_of) AS n FROM analytics.next_best_actions
{% endif %}
