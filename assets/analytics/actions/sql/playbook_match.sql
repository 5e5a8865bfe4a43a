-- Every row of {{ facts }} with rule_no: the position of the first [[actions.playbook]] rule whose
-- conditions all hold ("first match wins"; empty when none does). The rules are bound as lists, one
-- entry per rule in playbook order: a list condition is empty when the rule does not have it (any
-- value matches), else the value must be one of its entries (a missing value matches no list); a
-- flag condition is empty, true or false.
SELECT f.*, (
    SELECT min(rule.position)
    FROM (
        SELECT unnest(CAST($rule_positions AS INTEGER[])) AS position,
               unnest(CAST($rule_grades AS VARCHAR[][])) AS grades,
               unnest(CAST($rule_segments AS VARCHAR[][])) AS segments,
               unnest(CAST($rule_value_tiers AS VARCHAR[][])) AS value_tiers,
               unnest(CAST($rule_lifecycle AS VARCHAR[][])) AS lifecycle,
               unnest(CAST($rule_risk_tiers AS VARCHAR[][])) AS risk_tiers,
               unnest(CAST($rule_recent_complaint AS BOOLEAN[])) AS recent_complaint,
               unnest(CAST($rule_price_sensitive AS BOOLEAN[])) AS price_sensitive
    ) rule
    WHERE (rule.grades IS NULL OR coalesce(list_contains(rule.grades, f.grade), false))
      AND (rule.segments IS NULL OR coalesce(list_contains(rule.segments, f.segment), false))
      AND (rule.value_tiers IS NULL OR coalesce(list_contains(rule.value_tiers, f.value_tier), false))
      AND (rule.lifecycle IS NULL OR coalesce(list_contains(rule.lifecycle, f.lifecycle_stage), false))
      AND (rule.risk_tiers IS NULL OR coalesce(list_contains(rule.risk_tiers, f.risk_tier), false))
      AND (rule.recent_complaint IS NULL OR f.recent_complaint = rule.recent_complaint)
      AND (rule.price_sensitive IS NULL OR f.price_sensitive = rule.price_sensitive)
) AS rule_no
FROM {{ facts }} f
