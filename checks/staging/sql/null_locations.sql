-- Where the rows of `table` without a value in `column` came from: export file, sheet and row (the first $limit).
SELECT _source_file, _sheet, _row_number FROM {{ table }} WHERE "{{ column }}" IS NULL
ORDER BY _source_file, _sheet, _row_number LIMIT $limit;
