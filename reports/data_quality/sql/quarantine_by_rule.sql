-- Quarantined rows per (export kind, rule, stage): unresolved, resolved, total.
SELECT kind, rule, stage,
       count(*) FILTER (WHERE resolved IS NOT TRUE) AS unresolved,
       count(*) FILTER (WHERE resolved IS TRUE) AS resolved, count(*) AS total
FROM quality.quarantine
GROUP BY kind, rule, stage
ORDER BY total DESC, kind, rule, stage
