"""Turning one raw table into its typed staging table, with failing rows sent to quarantine.

Which rows are used:

- Only the latest version of each delivered file: an export re-delivered under the same name
  (corrected) replaces the earlier version; the earlier version's rows count as superseded.
- Rows breaking a row rule go to ``quality.quarantine``; a quarantined row is marked resolved when a
  later delivery brings a valid row with the same business key, or when its file was re-delivered.
- Among the remaining rows, one per business key: the latest delivery wins. Later means a later
  load pass; within one pass, the file modified later, then the higher version its name states
  (``_file_sequence``, see ``assets.ingest.delivery_order``); file name and row only break ties
  between files that are the same on all of these, so that the result is always the same.

Every build records its row accounting in ``quality.reconciliation`` (per kind):
rows read = rows staged + rows quarantined + duplicates collapsed (duplicate deliveries, superseded
file versions and repeated business keys); and in ``quality.reconciliation_by_file`` per (kind,
file, sheet), where rows of files or sheets rejected whole count too:
rows read = rows staged + rows quarantined + rows collapsed + rows rejected.

The SQL is in ``sql/``: ``typed.sql`` (the typed rows and their ranking), ``staging_table.sql`` (the
table and its quarantine entries) and ``reconciliation.sql`` (the row accounting), templates over
the spec's columns, key and rules; the values (the kind, rule texts, settings) are bound.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import duckdb

from assets.common.quarantine import ensure_quarantine_table
from assets.common.sql import SqlFolder
from assets.staging.specs import StagingSpec
from assets.staging.sql_functions import install_sql_functions

SQL = SqlFolder(__file__)


@dataclass(frozen=True)
class StagingResult:
    """Row accounting of one staging build: read = staged + quarantined + duplicates collapsed."""

    rows_read: int
    rows_staged: int
    rows_quarantined: int
    duplicates_collapsed: int


def _structure(conn: duckdb.DuckDBPyConnection, spec: StagingSpec) -> dict[str, Any]:
    """What the templates of the build need from the spec (and the export's columns, for content ids)."""
    raw_columns = [
        name for name, *_ in conn.execute(f"DESCRIBE raw.{spec.kind}").fetchall() if not name.startswith("_")
    ]
    structure: dict[str, Any] = {
        "kind": spec.kind,
        "columns": list(spec.columns),
        "key": list(spec.business_key),
        "rules": [{"column": r.column, "check": r.check, "bounds": r.bounds} for r in spec.rules],
        "date_columns": spec.date_columns(),
        "raw_columns": raw_columns,
    }
    if spec.numbers is not None:
        structure.update(spec.numbers.structure())
    return structure


def _typed_parameters(spec: StagingSpec) -> dict[str, Any]:
    """The values the typed query binds: the kind, the date-order setting, the amount bound and the
    decimal-separator setting (when the query decides the separators itself)."""
    params: dict[str, Any] = {"kind": spec.kind}
    if spec.date_columns():
        params["date_order"] = spec.date_order if spec.date_order in ("dmy", "mdy") else None
    if any(r.check == "implausible_amount" for r in spec.rules):
        params["amount_bound"] = spec.amount_bound
    if spec.numbers is not None:
        params.update(spec.numbers.parameters())
    return params


def build_staging_table(conn: duckdb.DuckDBPyConnection, spec: StagingSpec) -> StagingResult:
    """Rebuild ``staging.<kind>`` from ``raw.<kind>`` and refresh its quarantine entries, atomically."""
    install_sql_functions(conn)
    ensure_quarantine_table(conn)
    SQL.run(conn, "reconciliation_tables")
    structure = _structure(conn, spec)
    SQL.run(conn, "typed", structure, **_typed_parameters(spec))
    conn.execute("BEGIN TRANSACTION")
    try:
        rule_params = ({"rule_columns": [r.column for r in spec.rules], "rule_texts": [r.rule for r in spec.rules]}
                       if spec.rules else {})
        SQL.run(conn, "staging_table", structure, kind=spec.kind, **rule_params)
        rows_read, staged, quarantined, collapsed = SQL.rows(conn, "reconciliation", structure, kind=spec.kind)[0]
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    SQL.run(conn, "drop_typed")
    return StagingResult(int(rows_read), int(staged), int(quarantined), int(collapsed))
