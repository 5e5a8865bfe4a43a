-- Files rejected per source system.
SELECT source, count(DISTINCT source_file) AS files FROM quality.file_rejections GROUP BY source
