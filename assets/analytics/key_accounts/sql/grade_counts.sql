-- Customers per grade of analytics.key_accounts (the asset's metadata).
SELECT grade, count(*) FROM analytics.key_accounts GROUP BY grade;
