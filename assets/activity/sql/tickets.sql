-- A complaint is a ticket whose category says so in English or Chinese.
CREATE OR REPLACE TABLE core.tickets AS
SELECT s.ticket_id, m.customer_id, s.opened_at, CAST(s.opened_at AS DATE) AS opened_date,
       s.first_response_at, s.resolved_at, s.channel, s.category,
       coalesce(lower(s.category) LIKE '%complaint%' OR s.category LIKE '%投诉%', false) AS is_complaint,
       s.priority, s.status, s.csat,
       CASE WHEN s.first_response_at >= s.opened_at
            THEN date_diff('second', s.opened_at, s.first_response_at) / 3600.0 END AS first_response_hours,
       CASE WHEN s.resolved_at >= s.opened_at
            THEN date_diff('second', s.opened_at, s.resolved_at) / 3600.0 END AS resolution_hours
FROM staging.service_tickets s
LEFT JOIN core.identity_map m ON m.source = 'service_tickets' AND m.source_key = s.ticket_id
ORDER BY s.ticket_id;
