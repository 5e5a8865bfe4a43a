-- The contents a run has already seen (loaded, skipped or rejected): the inbox sensor starts no
-- run for them. Tables a warehouse without a finished run lacks are left out by the template.
SELECT file_hash FROM (
{% if inbox_files %} SELECT file_hash FROM raw.inbox_files {% endif %}
{% if inbox_files and load_log %} UNION ALL {% endif %}
{% if load_log %} SELECT file_hash FROM raw.load_log {% endif %}
) WHERE file_hash IS NOT NULL;
