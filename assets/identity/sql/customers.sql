-- core.customers: every CRM account, then every sales code that is a customer of its own.
CREATE OR REPLACE TABLE core.customers AS
WITH crm AS (
    SELECT 'C' || left(md5('crm:' || account_id), 12) AS customer_id, * FROM staging.crm_accounts
),
name_linked AS (
    SELECT customer_id, min(source_key) AS sales_customer_code
    FROM core.identity_map
    WHERE source = 'sales_order_lines' AND match_rule LIKE 'company name%'
    GROUP BY 1
),
own_codes AS (
    SELECT source_key AS customer_code, customer_id
    FROM core.identity_map
    WHERE source = 'sales_order_lines' AND customer_id = 'C' || left(md5('sales:' || source_key), 12)
),
sales_only AS (
    SELECT o.customer_id, l.customer_code,
           mode(l.customer_name ORDER BY l.customer_name) AS customer_name,
           mode(l.region ORDER BY l.region) AS region,
           min(l.order_date) AS first_order_date
    FROM staging.sales_order_lines l
    JOIN own_codes o ON o.customer_code = l.customer_code
    GROUP BY ALL
)
SELECT c.customer_id, c.account_id AS crm_account_id,
       coalesce(c.sales_customer_code, n.sales_customer_code) AS sales_customer_code,
       c.contact_name, c.company, c.industry, c.company_size, c.region, c.owner, c.phone_e164, c.email,
       c.created_date, c.lead_source
FROM crm c
LEFT JOIN name_linked n USING (customer_id)
UNION ALL
SELECT customer_id, NULL, customer_code, NULL, customer_name, NULL, NULL, region, NULL, NULL, NULL,
       first_order_date, NULL
FROM sales_only
ORDER BY customer_id;
