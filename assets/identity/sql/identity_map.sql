-- core.identity_map, built in steps through TEMP tables (dropped at the end). The company-key
-- macros of identity_functions.sql must be installed on the connection.

-- Step 1: CRM accounts with their customer id and their preference order for shared identifiers
-- (created first, then smallest account id).
CREATE OR REPLACE TEMP TABLE identity_crm AS
SELECT account_id, sales_customer_code, phone_e164, email, company,
       'C' || left(md5('crm:' || account_id), 12) AS customer_id,
       strftime(coalesce(created_date, DATE '9999-12-31'), '%Y-%m-%d') || ' ' || account_id AS preference
FROM staging.crm_accounts;

-- Step 2: every sales customer code with the CRM accounts listing it, and the distinct names of the
-- codes no account lists (only those need a company-name match; reading names for every code would
-- double the cost of this step on large order histories).
CREATE OR REPLACE TEMP TABLE identity_sales_codes AS
WITH listed AS (
    SELECT sales_customer_code AS customer_code, arg_min(customer_id, preference) AS customer_id,
           count(*) AS accounts
    FROM identity_crm WHERE sales_customer_code IS NOT NULL GROUP BY 1
)
SELECT s.customer_code, l.customer_id AS listed_customer_id, l.accounts AS listing_accounts
FROM (SELECT DISTINCT customer_code FROM staging.sales_order_lines) s
LEFT JOIN listed l USING (customer_code);

CREATE OR REPLACE TEMP TABLE identity_unlisted_names AS
SELECT DISTINCT customer_code, customer_name
FROM staging.sales_order_lines
SEMI JOIN (SELECT customer_code FROM identity_sales_codes WHERE listed_customer_id IS NULL) USING (customer_code)
WHERE customer_name IS NOT NULL;

-- Step 3: company keys of every distinct name involved (CRM companies, names of unlisted codes),
-- computed once per name.
CREATE OR REPLACE TEMP TABLE identity_company_keys AS
SELECT name, company_key, identity_place_free_key(company_key) AS place_free_key
FROM (
    SELECT name, identity_key_of_text(text) AS company_key
    FROM (
        SELECT name, identity_company_text(name) AS text
        FROM (
            SELECT company AS name FROM identity_crm WHERE company IS NOT NULL
            UNION
            SELECT customer_name FROM identity_unlisted_names
        )
    )
);

-- Step 4: the customer of every sales code: the listing CRM account, else a unique company-name match
-- (company keys shorter than $min_key_chars characters never link).
CREATE OR REPLACE TEMP TABLE identity_sales AS
WITH crm AS (
    SELECT c.customer_id, c.preference, c.sales_customer_code IS NULL AS open, k.company_key, k.place_free_key
    FROM identity_crm c JOIN identity_company_keys k ON k.name = c.company
),
unlisted AS (
    SELECT DISTINCT s.customer_code, k.company_key, k.place_free_key
    FROM identity_unlisted_names s
    JOIN identity_company_keys k ON k.name = s.customer_name
    WHERE length(k.company_key) >= CAST($min_key_chars AS INTEGER)
),
codes_per_key AS (SELECT company_key, count(DISTINCT customer_code) AS codes FROM unlisted GROUP BY 1),
codes_per_place_free_key AS (
    SELECT place_free_key, count(DISTINCT customer_code) AS codes FROM unlisted GROUP BY 1
),
crm_keys AS (
    SELECT company_key, count(*) AS accounts, count_if(open) AS open_accounts,
           arg_min(customer_id, preference) FILTER (WHERE open) AS open_customer_id
    FROM crm WHERE company_key IN (SELECT company_key FROM unlisted) GROUP BY 1
),
crm_place_free_keys AS (
    SELECT place_free_key, count(*) AS accounts, bool_and(open) AS open, min(customer_id) AS customer_id
    FROM crm WHERE place_free_key IN (SELECT place_free_key FROM unlisted) GROUP BY 1
),
by_name AS (
    SELECT u.customer_code,
           count(k.company_key) AS key_hits,
           count(*) FILTER (WHERE k.open_accounts > 0) AS open_hits,
           coalesce(bool_and(k.open_accounts = 1 AND c.codes = 1) FILTER (WHERE k.open_accounts > 0), false)
               AS unambiguous,
           count(DISTINCT k.open_customer_id) AS targets,
           min(k.open_customer_id) AS customer_id
    FROM unlisted u
    JOIN codes_per_key c USING (company_key)
    LEFT JOIN crm_keys k USING (company_key)
    GROUP BY 1
),
by_place_free_name AS (
    SELECT u.customer_code,
           count(k.place_free_key) AS hits,
           coalesce(bool_and(k.accounts = 1 AND k.open AND c.codes = 1) FILTER (WHERE k.accounts > 0), false)
               AS unambiguous,
           count(DISTINCT k.customer_id) AS targets,
           min(k.customer_id) AS customer_id
    FROM unlisted u
    JOIN codes_per_place_free_key c USING (place_free_key)
    LEFT JOIN crm_place_free_keys k USING (place_free_key)
    WHERE length(u.place_free_key) >= CAST($min_key_chars AS INTEGER)
    GROUP BY 1
),
decided AS (
    SELECT s.customer_code, s.listed_customer_id, s.listing_accounts,
           CASE
               WHEN s.listed_customer_id IS NOT NULL THEN 'listed'
               WHEN n.open_hits > 0 AND n.unambiguous AND n.targets = 1 THEN 'name'
               WHEN coalesce(n.key_hits, 0) = 0 AND p.hits > 0 AND p.unambiguous AND p.targets = 1
                   THEN 'place-free name'
               WHEN n.key_hits > 0 OR p.hits > 0 THEN 'ambiguous'
               ELSE 'none'
           END AS outcome,
           n.customer_id AS name_customer_id, p.customer_id AS place_free_customer_id
    FROM identity_sales_codes s
    LEFT JOIN by_name n USING (customer_code)
    LEFT JOIN by_place_free_name p USING (customer_code)
)
SELECT customer_code,
       CASE outcome
           WHEN 'listed' THEN listed_customer_id
           WHEN 'name' THEN name_customer_id
           WHEN 'place-free name' THEN place_free_customer_id
           ELSE 'C' || left(md5('sales:' || customer_code), 12)
       END AS customer_id,
       CASE outcome
           WHEN 'listed' THEN 'crm sales code' || CASE WHEN listing_accounts > 1 THEN ', shared' ELSE '' END
           WHEN 'name' THEN 'company name'
           WHEN 'place-free name' THEN 'company name without place'
           WHEN 'ambiguous' THEN 'sales only, name ambiguous'
           ELSE 'sales only'
       END AS match_rule,
       CAST(CASE outcome
           WHEN 'listed' THEN round(1.0 / listing_accounts, 3)
           WHEN 'name' THEN 0.8
           WHEN 'place-free name' THEN 0.7
           WHEN 'ambiguous' THEN 0.5
           ELSE 1.0
       END AS DOUBLE) AS confidence
FROM decided;

-- Step 5: tickets, NPS answers and e-mail-marketing addresses, by phone and e-mail. Every account
-- holding the record's phone or e-mail is a candidate; the best is the one holding both, else the
-- phone, else the e-mail, ties broken by the CRM preference order.
CREATE OR REPLACE TEMP TABLE identity_contacts AS
WITH records AS (
    SELECT 'service_tickets' AS source, ticket_id AS source_key, phone_e164, email FROM staging.service_tickets
    UNION ALL
    SELECT 'service_nps', response_id, phone_e164, email FROM staging.service_nps
    UNION ALL
    SELECT 'email_events', email, NULL, email FROM (SELECT DISTINCT email FROM staging.email_events)
),
hits AS (
    SELECT r.source, r.source_key, a.customer_id, a.preference, true AS by_phone, false AS by_email
    FROM records r JOIN identity_crm a ON a.phone_e164 = r.phone_e164
    UNION ALL
    SELECT r.source, r.source_key, a.customer_id, a.preference, false, true
    FROM records r JOIN identity_crm a ON a.email = r.email
),
candidates AS (
    SELECT source, source_key, customer_id, bool_or(by_phone) AS by_phone, bool_or(by_email) AS by_email,
           min(preference) AS preference
    FROM hits GROUP BY source, source_key, customer_id
),
ranked AS (
    SELECT *, CASE WHEN by_phone AND by_email THEN 0 WHEN by_phone THEN 1 ELSE 2 END AS level
    FROM candidates
),
best AS (
    SELECT source, source_key,
           arg_min(customer_id, level || ' ' || preference) AS customer_id,
           min(level) AS level,
           count_if(by_email) AS email_accounts
    FROM ranked GROUP BY source, source_key
),
tied AS (
    SELECT b.source, b.source_key, b.customer_id, b.level, b.email_accounts, count(*) AS accounts
    FROM best b JOIN ranked r ON r.source = b.source AND r.source_key = b.source_key AND r.level = b.level
    GROUP BY ALL
)
SELECT r.source, r.source_key, t.customer_id,
       CASE
           WHEN t.customer_id IS NULL THEN 'unmatched'
           ELSE CASE t.level WHEN 0 THEN 'phone and email' WHEN 1 THEN 'phone' ELSE 'email' END
                || CASE WHEN t.level = 1 AND t.email_accounts > 0 THEN ', email conflict' ELSE '' END
                || CASE WHEN t.accounts > 1 THEN ', shared' ELSE '' END
       END AS match_rule,
       CAST(CASE
           WHEN t.customer_id IS NULL THEN 0.0
           ELSE round((CASE WHEN t.level = 0 THEN 0.99
                            WHEN t.level = 1 AND t.email_accounts > 0 THEN 0.6
                            ELSE 0.95 END) / t.accounts, 3)
       END AS DOUBLE) AS confidence
FROM records r
LEFT JOIN tied t ON t.source = r.source AND t.source_key = r.source_key;

-- The identity map: the CRM accounts, the sales codes and the contacts.
CREATE OR REPLACE TABLE core.identity_map AS
SELECT 'crm_accounts' AS source, account_id AS source_key, customer_id,
       'crm account' AS match_rule, CAST(1.0 AS DOUBLE) AS confidence
FROM identity_crm
UNION ALL
SELECT 'sales_order_lines', customer_code, customer_id, match_rule, confidence FROM identity_sales
UNION ALL
SELECT source, source_key, customer_id, match_rule, confidence FROM identity_contacts
ORDER BY source, source_key;

DROP TABLE IF EXISTS identity_crm;
DROP TABLE IF EXISTS identity_sales_codes;
DROP TABLE IF EXISTS identity_unlisted_names;
DROP TABLE IF EXISTS identity_company_keys;
DROP TABLE IF EXISTS identity_sales;
DROP TABLE IF EXISTS identity_contacts;
