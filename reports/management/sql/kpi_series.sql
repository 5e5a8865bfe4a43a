-- The monthly values of the KPIs $kpis for the $months months up to $month.
SELECT kpi, month, value FROM analytics.kpis_monthly
WHERE kpi IN (SELECT unnest($kpis::VARCHAR[])) AND month <= $month
  AND month > $month::DATE - CAST($months AS INTEGER) * INTERVAL 1 MONTH
ORDER BY kpi, month
