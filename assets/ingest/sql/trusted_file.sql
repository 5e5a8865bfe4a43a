-- A file modified just before the last scan turned out to have the same content.
UPDATE raw.inbox_files SET trusted = $trusted WHERE source_file = $source_file;
