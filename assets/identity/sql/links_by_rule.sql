-- The links of core.identity_map by source and rule: records and average confidence.
SELECT source, match_rule, count(*), round(avg(confidence), 3)
FROM core.identity_map
GROUP BY ALL
ORDER BY source, count(*) DESC, match_rule;
