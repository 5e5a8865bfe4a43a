-- Unresolved quarantined rows per export kind: distinct rows, rule breaches and the commonest rule.
WITH open AS (SELECT * FROM quality.quarantine WHERE NOT coalesce(resolved, false)),
rules AS (
    SELECT kind, rule, count(*) AS n,
           row_number() OVER (PARTITION BY kind ORDER BY count(*) DESC, rule) AS rank
    FROM open GROUP BY kind, rule)
SELECT o.kind, count(DISTINCT (o.source_file, o.sheet, o.row_number)) AS rows,
       count(*) AS breaches, any_value(r.rule) AS top_rule
FROM open o LEFT JOIN rules r ON r.kind = o.kind AND r.rank = 1
GROUP BY o.kind ORDER BY o.kind
