-- quality.reconciliation by export kind, with whether read = staged + quarantined + collapsed.
SELECT kind, rows_read, rows_staged, rows_quarantined, duplicates_collapsed, duplicate_delivery_rows,
       superseded_rows, repeated_key_rows,
       rows_read = rows_staged + rows_quarantined + duplicates_collapsed AS balanced
FROM quality.reconciliation
ORDER BY kind
