-- The values of the KPIs $kpis in analytics.kpis_monthly for the month $month.
SELECT kpi, value FROM analytics.kpis_monthly WHERE month = $month AND list_contains($kpis, kpi);
