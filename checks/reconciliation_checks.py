"""Row accounting checks on the staging layer: no export row silently disappears."""

from dagster import AssetCheckResult, AssetChecksDefinition, AssetCheckSeverity, AssetKey, MetadataValue, asset_check

from assets.staging.specs import SPECS
from pipelines.resources import Warehouse

RECOMPUTE_SQL = """
SELECT
    (SELECT coalesce(sum(rows_read), 0) FROM raw.load_log WHERE kind = $kind) AS rows_read,
    (SELECT count(*) FROM staging.{kind}) AS rows_staged,
    (SELECT count(*) FROM (SELECT DISTINCT source_file, sheet, row_number, loaded_at
                           FROM quality.quarantine WHERE kind = $kind)) AS rows_quarantined,
    (SELECT duplicates_collapsed FROM quality.reconciliation WHERE kind = $kind) AS duplicates_collapsed,
    (SELECT count(*) FROM raw.{kind}) AS raw_rows,
    (SELECT count(*) FROM quality.quarantine WHERE kind = $kind AND stage = 'ingest') AS malformed_rows,
    (SELECT coalesce(sum(rows_read), 0) FROM raw.load_log
      WHERE kind = $kind AND status = 'duplicate_delivery') AS duplicate_delivery_rows
"""


def build_reconciliation_check(kind: str) -> AssetChecksDefinition:
    """ERROR check: rows read = rows staged + rows quarantined + duplicates collapsed."""

    @asset_check(
        asset=AssetKey(["staging", kind]),
        name="rows_reconcile",
        blocking=True,
        description=(
            "Every export row is accounted for: rows read from the files = rows in this table + rows in "
            "quarantine + duplicates collapsed (duplicate deliveries, superseded file versions, the same "
            "record delivered again). Also checks that the raw table holds exactly the rows the load log "
            "says were read. A failure means rows were lost or double-counted: downstream tables are not "
            "rebuilt until it is fixed."
        ),
    )
    def _check(warehouse: Warehouse) -> AssetCheckResult:
        with warehouse.connect() as conn:
            row = conn.execute(RECOMPUTE_SQL.format(kind=kind), {"kind": kind}).fetchone()
        read, staged, quarantined, collapsed, raw_rows, malformed, duplicate_rows = (int(v or 0) for v in row)
        balanced = read == staged + quarantined + collapsed
        raw_matches_log = raw_rows + malformed + duplicate_rows == read
        return AssetCheckResult(
            passed=balanced and raw_matches_log and collapsed >= 0,
            severity=AssetCheckSeverity.ERROR,
            metadata={
                "rows_read": MetadataValue.int(read),
                "rows_staged": MetadataValue.int(staged),
                "rows_quarantined": MetadataValue.int(quarantined),
                "duplicates_collapsed": MetadataValue.int(collapsed),
                "equation": MetadataValue.text(
                    f"{read} = {staged} + {quarantined} + {collapsed}" + ("" if balanced else "  (does NOT hold)")
                ),
                "raw_rows_match_load_log": MetadataValue.bool(raw_matches_log),
            },
        )

    return _check


RECONCILIATION_CHECKS = [build_reconciliation_check(kind) for kind in SPECS]
