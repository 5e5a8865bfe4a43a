-- Every KPI of one $month with its changes against the previous month and the same month last year.
SELECT kpi, unit, value, previous_month_value, change_vs_previous_month, relative_change_vs_previous_month,
       same_month_last_year_value, change_vs_last_year, relative_change_vs_last_year
FROM analytics.kpis_monthly WHERE month = $month ORDER BY kpi
