-- The columns of $kind where the decimal-separator decision mattered and was not simply '.' by their
-- own evidence: decimal commas, undecided columns, and ambiguous values read by the setting, the file
-- or the default (the first $limit, with the count of all of them).
SELECT source_file, sheet, column_name, coalesce(decimal_separator, 'undecided'), decided_by,
       dot_evidence, comma_evidence, ambiguous_values, count(*) OVER () AS notable
FROM quality.number_formats
WHERE kind = $kind AND dot_evidence + comma_evidence + ambiguous_values > 0
  AND (decimal_separator IS DISTINCT FROM '.' OR (ambiguous_values > 0 AND decided_by <> 'column evidence'))
ORDER BY source_file, sheet NULLS FIRST, column_name LIMIT $limit;
