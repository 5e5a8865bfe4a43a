-- Customer retention of the newest $cohorts first-purchase months up to $as_of, months 0..$months since.
WITH recent AS (
    SELECT DISTINCT cohort_month FROM analytics.cohort_retention WHERE cohort_month <= $as_of
    ORDER BY cohort_month DESC LIMIT $cohorts)
SELECT c.cohort_month, c.months_since, c.cohort_customers, c.customer_retention
FROM analytics.cohort_retention c JOIN recent USING (cohort_month)
WHERE c.months_since BETWEEN 0 AND $months
ORDER BY c.cohort_month, c.months_since
