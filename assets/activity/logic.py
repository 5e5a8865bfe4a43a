"""CRM activities, opportunities, service tickets, NPS answers and e-mail events attached to the
resolved customer (via core.identity_map). Records that could not be attached keep an empty
customer_id, so nothing is dropped."""

from __future__ import annotations

_CRM_LINK = "LEFT JOIN core.identity_map m ON m.source = 'crm_accounts' AND m.source_key = s.account_id"

INTERACTIONS_SQL = f"""
CREATE OR REPLACE TABLE core.interactions AS
SELECT s.interaction_id, m.customer_id, s.account_id, s.interaction_type, s.interaction_ts,
       CAST(s.interaction_ts AS DATE) AS interaction_date, s.owner
FROM staging.crm_interactions s {_CRM_LINK}
ORDER BY s.interaction_id
"""

OPPORTUNITIES_SQL = f"""
CREATE OR REPLACE TABLE core.opportunities AS
SELECT s.opportunity_id, m.customer_id, s.account_id, s.opportunity_name, s.stage, s.amount,
       s.created_date, s.close_date, s.status, s.owner
FROM staging.crm_opportunities s {_CRM_LINK}
ORDER BY s.opportunity_id
"""

# A complaint is a ticket whose category says so in English or Chinese.
TICKETS_SQL = """
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
ORDER BY s.ticket_id
"""

# NPS groups as Bain defines them: 9-10 promoter, 7-8 passive, 0-6 detractor.
SURVEYS_SQL = """
CREATE OR REPLACE TABLE core.surveys AS
SELECT s.response_id, m.customer_id, s.survey_ts, CAST(s.survey_ts AS DATE) AS survey_date, s.nps_score,
       CASE WHEN s.nps_score >= 9 THEN 'promoter' WHEN s.nps_score >= 7 THEN 'passive' ELSE 'detractor' END
         AS nps_group,
       s.comment
FROM staging.service_nps s
LEFT JOIN core.identity_map m ON m.source = 'service_nps' AND m.source_key = s.response_id
ORDER BY s.response_id
"""

EMAIL_EVENTS_SQL = """
CREATE OR REPLACE TABLE core.email_events AS
SELECT m.customer_id, s.email, s.campaign_id, s.event_type, s.event_ts, CAST(s.event_ts AS DATE) AS event_date
FROM staging.email_events s
LEFT JOIN core.identity_map m ON m.source = 'email_events' AND m.source_key = s.email
ORDER BY s.email, s.event_ts, s.campaign_id, s.event_type
"""
