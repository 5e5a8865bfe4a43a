-- Files no longer in the inbox are forgotten.
DELETE FROM raw.inbox_files WHERE source_file NOT IN (SELECT unnest(CAST($present AS VARCHAR[])));
