-- The rows of one table (structure: table).
SELECT count(*) AS n FROM {{ table }}
