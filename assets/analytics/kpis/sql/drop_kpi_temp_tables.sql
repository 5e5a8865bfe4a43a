-- The temporary tables of kpis_monthly.sql, dropped after the build (also when it fails).
DROP TABLE IF EXISTS temp._kpi_source_starts;
DROP TABLE IF EXISTS temp._kpi_months;
DROP TABLE IF EXISTS temp._kpi_orders;
DROP TABLE IF EXISTS temp._kpi_customer_months;
DROP TABLE IF EXISTS temp._kpi_purchase_days;
DROP TABLE IF EXISTS temp._kpi_sales;
DROP TABLE IF EXISTS temp._kpi_tickets;
DROP TABLE IF EXISTS temp._kpi_nps;
DROP TABLE IF EXISTS temp._kpi_email;
DROP TABLE IF EXISTS temp._kpi_opportunities;
DROP TABLE IF EXISTS temp._kpi_facts;
