{#
  The count of the positive amounts and the reference quantile: the $quantile quantile, leaving out
  at least the $ignored largest. The amounts are the table `amounts` (column amount), or else the
  current version of every export of `kind`, its number column `column` read as in the staging query
  (structure of sql/number_inputs.sql: number_columns, parsed, evidence).
#}
{% import "number_inputs.sql" as numbers %}
WITH ranked AS (
    SELECT amount, row_number() OVER (ORDER BY amount) AS rank, count(*) OVER () AS n
    FROM {% if amounts is defined %}{{ amounts }}{% else %}(SELECT _{{ column }}__value AS amount
          FROM {% call numbers.source(kind, number_columns, parsed, evidence) %}{% endcall %}

          QUALIFY _loaded_at = max(_loaded_at) OVER (PARTITION BY _source_file, _sheet)){% endif %}

    WHERE amount > 0
)
SELECT coalesce(any_value(n), 0),
       max(amount) FILTER (WHERE rank = least(ceil(n * $quantile), n - $ignored))
FROM ranked;
