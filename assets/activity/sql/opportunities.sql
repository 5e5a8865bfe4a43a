CREATE OR REPLACE TABLE core.opportunities AS
SELECT s.opportunity_id, m.customer_id, s.account_id, s.opportunity_name, s.stage, s.amount,
       s.created_date, s.close_date, s.status, s.owner
FROM staging.crm_opportunities s
LEFT JOIN core.identity_map m ON m.source = 'crm_accounts' AND m.source_key = s.account_id
ORDER BY s.opportunity_id;
