"""Identity resolution: which records of the four systems belong to one customer.

Rules, strongest first (each record takes the first rule that matches):

1. A CRM account is a customer (``crm account``).
2. A sales customer code belongs to the CRM account that lists it as its ERP code (``crm sales code``);
   a code no CRM account lists becomes a customer of its own (``sales only``).
3. A service ticket or NPS answer belongs to the CRM account with the same phone (``phone``), else
   the same e-mail (``email``).
4. An e-mail-marketing address belongs to the CRM account with that e-mail (``email``).

Records matching nothing keep an empty customer_id (``unmatched``). Customer ids are derived from
the anchoring record (``C`` + 12 hex digits of its MD5), so they stay the same from run to run.
"""

from __future__ import annotations

IDENTITY_MAP_SQL = """
CREATE OR REPLACE TABLE core.identity_map AS
WITH crm AS (
    SELECT account_id, sales_customer_code, phone_e164, email,
           'C' || left(md5('crm:' || account_id), 12) AS customer_id
    FROM staging.crm_accounts
),
crm_by_code AS (
    SELECT sales_customer_code, min(customer_id) AS customer_id
    FROM crm WHERE sales_customer_code IS NOT NULL GROUP BY 1
),
crm_by_phone AS (
    SELECT phone_e164, min(customer_id) AS customer_id FROM crm WHERE phone_e164 IS NOT NULL GROUP BY 1
),
crm_by_email AS (
    SELECT email, min(customer_id) AS customer_id FROM crm WHERE email IS NOT NULL GROUP BY 1
),
sales_codes AS (SELECT DISTINCT customer_code FROM staging.sales_order_lines),
contacts AS (
    SELECT 'service_tickets' AS source, ticket_id AS source_key, phone_e164, email FROM staging.service_tickets
    UNION ALL
    SELECT 'service_nps', response_id, phone_e164, email FROM staging.service_nps
)
SELECT 'crm_accounts' AS source, account_id AS source_key, customer_id,
       'crm account' AS match_rule, CAST(1.0 AS DOUBLE) AS confidence
FROM crm
UNION ALL
SELECT 'sales_order_lines', s.customer_code,
       coalesce(b.customer_id, 'C' || left(md5('sales:' || s.customer_code), 12)),
       CASE WHEN b.customer_id IS NULL THEN 'sales only' ELSE 'crm sales code' END, 1.0
FROM sales_codes s LEFT JOIN crm_by_code b ON b.sales_customer_code = s.customer_code
UNION ALL
SELECT c.source, c.source_key, coalesce(p.customer_id, e.customer_id),
       CASE WHEN p.customer_id IS NOT NULL THEN 'phone' WHEN e.customer_id IS NOT NULL THEN 'email'
            ELSE 'unmatched' END,
       CASE WHEN p.customer_id IS NOT NULL OR e.customer_id IS NOT NULL THEN 0.95 ELSE 0.0 END
FROM contacts c
LEFT JOIN crm_by_phone p ON p.phone_e164 = c.phone_e164
LEFT JOIN crm_by_email e ON e.email = c.email
UNION ALL
SELECT 'email_events', a.email, e.customer_id,
       CASE WHEN e.customer_id IS NULL THEN 'unmatched' ELSE 'email' END,
       CASE WHEN e.customer_id IS NULL THEN 0.0 ELSE 0.95 END
FROM (SELECT DISTINCT email FROM staging.email_events) a
LEFT JOIN crm_by_email e ON e.email = a.email
ORDER BY source, source_key
"""

CUSTOMERS_SQL = """
CREATE OR REPLACE TABLE core.customers AS
WITH crm AS (
    SELECT 'C' || left(md5('crm:' || account_id), 12) AS customer_id, * FROM staging.crm_accounts
),
sales_only AS (
    SELECT m.customer_id, l.customer_code,
           mode(l.customer_name ORDER BY l.customer_name) AS customer_name,
           mode(l.region ORDER BY l.region) AS region,
           min(l.order_date) AS first_order_date
    FROM staging.sales_order_lines l
    JOIN core.identity_map m ON m.source = 'sales_order_lines' AND m.source_key = l.customer_code
    WHERE m.match_rule = 'sales only'
    GROUP BY ALL
)
SELECT customer_id, account_id AS crm_account_id, sales_customer_code, contact_name, company, industry,
       company_size, region, owner, phone_e164, email, created_date, lead_source
FROM crm
UNION ALL
SELECT customer_id, NULL, customer_code, NULL, customer_name, NULL, NULL, region, NULL, NULL, NULL,
       first_order_date, NULL
FROM sales_only
ORDER BY customer_id
"""
