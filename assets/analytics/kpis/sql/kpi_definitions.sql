-- analytics.kpi_definitions: one row per KPI, from the columns of kpi_definition_rows() bound as
-- lists of the same length (zipped by unnest), in table order.
CREATE OR REPLACE TABLE analytics.kpi_definitions AS
SELECT position, kpi, label_en, label_zh, unit, source, definition, CAST($as_of AS DATE) AS as_of
FROM (
    SELECT CAST(unnest($positions) AS INTEGER) AS position, CAST(unnest($kpis) AS VARCHAR) AS kpi,
           CAST(unnest($labels_en) AS VARCHAR) AS label_en, CAST(unnest($labels_zh) AS VARCHAR) AS label_zh,
           CAST(unnest($units) AS VARCHAR) AS unit, CAST(unnest($sources) AS VARCHAR) AS source,
           CAST(unnest($definitions) AS VARCHAR) AS definition
) t
ORDER BY position;
