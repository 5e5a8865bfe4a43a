-- quality.scorecard: one row per (source, dimension). Structure: kinds (the KindMeasures of every
-- scored staging table). Parameters: $as_of (DATE), $kinds and $kind_sources (each scored table and
-- its source), $full_days and $zero_days (timeliness), $sources and $dimensions (row order, overall
-- last), $overall, and the written definitions as $definition_sources, $definition_dimensions,
-- $definition_texts.
CREATE OR REPLACE TABLE quality.scorecard AS
WITH kind_source AS (SELECT unnest($kinds) AS kind, unnest($kind_sources) AS source),
kind_stats AS (
{% for m in kinds %}
    {% if not loop.first %}UNION ALL {% endif %}SELECT $kind_sources[{{ loop.index }}] AS source, count(*) AS staged_rows,
        count(*) * {{ m.columns | length }} AS cells,
        {% for _, columns in m.columns %}
        {% if columns | length == 1 %}count({{ columns[0] }}){% else %}count(coalesce({% for c in columns %}{{ c }}{% if not loop.last %}, {% endif %}{% endfor %})){% endif %}{% if not loop.last %} +{% endif %}

        {% endfor %}
        AS filled_cells,
    {% if m.timestamped %}
        max(CAST({{ m.record_date }} AS DATE)) FILTER (WHERE CAST({{ m.record_date }} AS DATE) <= $as_of) AS newest
    {% else %}
        max({{ m.record_date }}) FILTER (WHERE {{ m.record_date }} <= $as_of) AS newest
    {% endif %}
    FROM staging.{{ m.kind }}
{% endfor %}
),
raw_rows AS (
{% for m in kinds %}
    {% if not loop.first %}UNION ALL {% endif %}SELECT $kind_sources[{{ loop.index }}] AS source, count(*) AS raw_rows FROM raw.{{ m.kind }}
{% endfor %}
),
quarantined_rows AS (
    SELECT DISTINCT kind, source_file, sheet, row_number, loaded_at FROM quality.quarantine
),
quarantined_by_file AS (
    SELECT kind, source_file, sheet, loaded_at, count(*) AS n FROM quarantined_rows GROUP BY ALL
),
quarantined AS (
    SELECT k.source, sum(q.n) AS n FROM quarantined_by_file q JOIN kind_source k USING (kind) GROUP BY 1
),
duplicate_deliveries AS (
    SELECT k.source, sum(o.rows_read - coalesce(q.n, 0)) AS valid_rows
    FROM raw.load_log d
    JOIN raw.load_log o
      ON o.kind = d.kind AND o.file_hash = d.file_hash AND o.sheet IS NOT DISTINCT FROM d.sheet
     AND o.status = 'loaded'
    LEFT JOIN quarantined_by_file q
      ON q.kind = o.kind AND q.source_file = o.source_file AND q.sheet IS NOT DISTINCT FROM o.sheet
     AND q.loaded_at = o.loaded_at
    JOIN kind_source k ON k.kind = d.kind
    WHERE d.status = 'duplicate_delivery'
    GROUP BY 1
),
per_source AS (
    SELECT s.source, s.staged_rows, s.cells, s.filled_cells, s.newest, r.raw_rows,
           coalesce(q.n, 0) AS quarantined_rows, coalesce(d.valid_rows, 0) AS duplicate_delivery_rows
    FROM (SELECT source, sum(staged_rows) AS staged_rows, sum(cells) AS cells,
                 sum(filled_cells) AS filled_cells, max(newest) AS newest
          FROM kind_stats GROUP BY source) s
    JOIN (SELECT source, sum(raw_rows) AS raw_rows FROM raw_rows GROUP BY source) r USING (source)
    LEFT JOIN quarantined q USING (source)
    LEFT JOIN duplicate_deliveries d USING (source)
),
crm_linked_codes AS (
    SELECT m.source_key AS customer_code, c.company, c.region
    FROM core.identity_map m JOIN core.customers c USING (customer_id)
    WHERE m.source = 'sales_order_lines' AND m.match_rule = 'crm sales code' AND c.crm_account_id IS NOT NULL
),
sales_region AS (
    SELECT customer_code, region
    FROM (SELECT customer_code, region, count(*) AS n FROM staging.sales_order_lines
          WHERE region IS NOT NULL AND customer_code IS NOT NULL GROUP BY ALL)
    QUALIFY row_number() OVER (PARTITION BY customer_code ORDER BY n DESC, region) = 1
),
sales_name AS (
    SELECT customer_code, customer_name
    FROM (SELECT customer_code, customer_name, count(*) AS n FROM staging.sales_order_lines
          WHERE customer_name IS NOT NULL AND customer_code IS NOT NULL GROUP BY ALL)
    QUALIFY row_number() OVER (PARTITION BY customer_code ORDER BY n DESC, customer_name) = 1
),
sales_pairs AS (
    SELECT s.region = l.region AS agree
    FROM crm_linked_codes l JOIN sales_region s USING (customer_code) WHERE l.region IS NOT NULL
    UNION ALL
    SELECT regexp_replace(trim(s.customer_name), '有限公司$', '') = regexp_replace(trim(l.company), '有限公司$', '')
    FROM crm_linked_codes l JOIN sales_name s USING (customer_code) WHERE l.company IS NOT NULL
),
crm_pairs AS (
    SELECT s.source_key IS NOT NULL AS agree
    FROM staging.crm_accounts a
    LEFT JOIN (SELECT source_key FROM core.identity_map WHERE source = 'sales_order_lines') s
      ON s.source_key = a.sales_customer_code
    WHERE a.sales_customer_code IS NOT NULL AND EXISTS (SELECT 1 FROM staging.sales_order_lines)
),
service_records AS (
    SELECT 'service_tickets' AS source, ticket_id AS source_key, phone_e164, email FROM staging.service_tickets
    UNION ALL
    SELECT 'service_nps', response_id, phone_e164, email FROM staging.service_nps
),
service_pairs AS (
    SELECT coalesce(m.customer_id IS NOT NULL
                    AND (r.phone_e164 IS NULL OR r.phone_e164 = c.phone_e164)
                    AND (r.email IS NULL OR r.email = c.email), false) AS agree
    FROM service_records r
    LEFT JOIN core.identity_map m ON m.source = r.source AND m.source_key = r.source_key
    LEFT JOIN core.customers c ON c.customer_id = m.customer_id AND c.crm_account_id IS NOT NULL
    WHERE (r.phone_e164 IS NOT NULL OR r.email IS NOT NULL) AND EXISTS (SELECT 1 FROM staging.crm_accounts)
),
email_pairs AS (
    SELECT c.email IS NOT NULL AS agree
    FROM (SELECT DISTINCT email FROM staging.email_events WHERE email IS NOT NULL) e
    LEFT JOIN (SELECT DISTINCT email FROM staging.crm_accounts WHERE email IS NOT NULL) c ON c.email = e.email
    WHERE EXISTS (SELECT 1 FROM staging.crm_accounts)
),
consistency AS (
    SELECT 'sales' AS source, count(*) FILTER (WHERE agree) AS numerator, count(*) AS denominator FROM sales_pairs
    UNION ALL SELECT 'crm', count(*) FILTER (WHERE agree), count(*) FROM crm_pairs
    UNION ALL SELECT 'service', count(*) FILTER (WHERE agree), count(*) FROM service_pairs
    UNION ALL SELECT 'email', count(*) FILTER (WHERE agree), count(*) FROM email_pairs
),
measures AS (
    SELECT source, 'completeness' AS dimension, CAST(filled_cells AS DOUBLE) AS numerator,
           CAST(cells AS BIGINT) AS denominator, CAST(NULL AS BIGINT) AS age_days
    FROM per_source
    UNION ALL
    SELECT source, 'validity', raw_rows - quarantined_rows, raw_rows, NULL FROM per_source
    UNION ALL
    SELECT source, 'uniqueness', staged_rows, raw_rows - quarantined_rows + duplicate_delivery_rows, NULL
    FROM per_source
    UNION ALL
    SELECT source, 'consistency', numerator, denominator, NULL FROM consistency
    UNION ALL
    SELECT source, 'timeliness',
           CASE WHEN newest IS NULL THEN 0
                ELSE least(CAST($zero_days AS INTEGER) - CAST($full_days AS INTEGER),
                           greatest(0, CAST($zero_days AS INTEGER) - date_diff('day', newest, $as_of))) END,
           CASE WHEN newest IS NULL THEN 0 ELSE CAST($zero_days AS INTEGER) - CAST($full_days AS INTEGER) END,
           date_diff('day', newest, $as_of)
    FROM per_source
),
scored AS (
    SELECT *, CASE WHEN denominator > 0 THEN numerator / denominator END AS score FROM measures
),
with_source_overall AS (
    SELECT source, dimension, numerator, denominator, age_days, score FROM scored
    UNION ALL
    SELECT source, $overall, coalesce(sum(score ORDER BY list_position($dimensions, dimension)), 0),
           count(score), NULL, NULL
    FROM scored GROUP BY source
),
source_rows AS (
    SELECT source, dimension, numerator, denominator, age_days,
           CASE WHEN denominator > 0 THEN numerator / denominator END AS score
    FROM with_source_overall
),
all_rows AS (
    SELECT source, dimension, numerator, denominator, age_days FROM source_rows
    UNION ALL
    SELECT $overall, dimension, coalesce(sum(score ORDER BY list_position($sources, source)), 0),
           count(score), NULL
    FROM source_rows GROUP BY dimension
),
definitions AS (
    SELECT unnest($definition_sources) AS source, unnest($definition_dimensions) AS dimension,
           unnest($definition_texts) AS definition
)
SELECT a.source, a.dimension,
       CASE WHEN a.denominator > 0 THEN a.numerator / a.denominator END AS score,
       CAST(a.numerator AS DOUBLE) AS numerator, CAST(a.denominator AS BIGINT) AS denominator,
       CAST(a.age_days AS INTEGER) AS age_days, d.definition, CAST($as_of AS DATE) AS as_of
FROM all_rows a JOIN definitions d USING (source, dimension)
ORDER BY list_position($sources, a.source), list_position($dimensions, a.dimension)
