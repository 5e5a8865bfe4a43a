-- The first day of the newest complete KPI month on or before $as_of.
SELECT max(month) AS month FROM analytics.kpis_monthly WHERE NOT is_partial_month AND month <= $as_of
