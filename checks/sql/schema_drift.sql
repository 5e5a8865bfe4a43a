-- Files of a kind whose newest loaded version carries columns that map to no canonical column.
SELECT source_file, arg_max(unmapped_columns, loaded_at) AS unmapped
FROM raw.load_log
WHERE kind = $kind AND status = 'loaded'
GROUP BY source_file
HAVING len(arg_max(unmapped_columns, loaded_at)) > 0
ORDER BY source_file;
