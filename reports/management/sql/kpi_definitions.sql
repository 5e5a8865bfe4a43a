-- The KPI definitions, in their order.
SELECT kpi, label_en, label_zh, unit, source, definition FROM analytics.kpi_definitions ORDER BY position, kpi
