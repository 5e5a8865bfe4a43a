CREATE OR REPLACE TABLE core.email_events AS
SELECT m.customer_id, s.email, s.campaign_id, s.event_type, s.event_ts, CAST(s.event_ts AS DATE) AS event_date
FROM staging.email_events s
LEFT JOIN core.identity_map m ON m.source = 'email_events' AND m.source_key = s.email
ORDER BY s.email, s.event_ts, s.campaign_id, s.event_type;
