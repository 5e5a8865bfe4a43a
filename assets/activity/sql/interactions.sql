CREATE OR REPLACE TABLE core.interactions AS
SELECT s.interaction_id, m.customer_id, s.account_id, s.interaction_type, s.interaction_ts,
       CAST(s.interaction_ts AS DATE) AS interaction_date, s.owner
FROM staging.crm_interactions s
LEFT JOIN core.identity_map m ON m.source = 'crm_accounts' AND m.source_key = s.account_id
ORDER BY s.interaction_id;
