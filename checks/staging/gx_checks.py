"""Great Expectations suites run as Dagster asset checks on every staging table.

Each staging table gets two checks:

- ``gx_blocking`` (blocking, severity ERROR): the suite's blocking expectations (column set, types,
  business keys present and unique, required values present). When one fails Dagster does not
  build the core tables from this table in the same run (the run fails at this check).
- ``gx_advisory`` (severity WARN): value lists, ranges, dates after the as-of date, ticket times in
  order. A failure is reported with sample values; the downstream tables are still built.

Both read the table once from DuckDB (only the columns their expectations name), append one row per
expectation to ``quality.validation_results`` and show the same outcome as check metadata.
"""

from dataclasses import replace

import dagster as dg
import duckdb

from assets.common.resources import PipelineSettings, Warehouse
from assets.common.sql import SqlFolder
from assets.staging.plausibility import recorded_amount_bound
from assets.staging.run_spec import BOUNDED_AMOUNTS
from assets.staging.specs import SPECS
from checks.common.results import SAMPLE_LIMIT, Outcome, masked_samples, outcomes_metadata, record_outcomes, run_id_of
from checks.staging.gx import read_frames, validate
from checks.staging.suites import Expectation, suite_for, suite_parameters

SQL = SqlFolder(__file__)

# Measured 2026-11-22 on the 2-core development machine (load ~1.3 from other jobs) with
# staging.sales_order_lines of 1,992,254 rows (python -m pipelines.tools.sample_data --customers 100000):
#   gx_blocking: read 7 columns 1.0-1.3 s + validate 14 expectations 1.0-1.2 s; frame 149 MB, peak +630 MB
#   gx_advisory: read 6 columns 1.8-2.0 s + validate 6 expectations 1.6-1.7 s; frame 145 MB, peak +815 MB
# i.e. about 3 s per million rows for both checks (GX validation alone about 1.4 s per million), plus
# about 4 s to import GX once per process. The peak is DuckDB's conversion to pandas (about 5x the
# frame), not GX. Extrapolated to the 20M-row table of the largest installation: about 30 s per
# check and 6-8 GB peak memory; give the process the memory or split the frame before going further.
# Without the datetime64[ns] conversion in gx_validation, the advisory validation took 8.2 s.

CHECK_NAMES = {True: "gx_blocking", False: "gx_advisory"}

_DESCRIPTIONS = {
    True: (
        "Blocking data-quality gate of staging.{kind} (Great Expectations, severity ERROR). Guarantees "
        "that the table has exactly its expected columns, that typed columns hold numbers/dates, and "
        "that every record has its business key ({key}), unique, and its required values ({required}). "
        "A failure means the core tables would be built on broken records: they are not built in this "
        "run. The metadata lists each failed expectation with counts and sample values; every result is "
        "also kept in quality.validation_results."
    ),
    False: (
        "Advisory data-quality check of staging.{kind} (Great Expectations, severity WARN): {checks}. "
        "A failure means some records look implausible (a new status or channel, a typo in an amount, a "
        "date after the analysis date): they are still used, so look at the sample values and fix the "
        "export or extend the expected list. Results are also kept in quality.validation_results."
    ),
}


def _description(kind: str, blocking: bool, expectations: tuple[Expectation, ...]) -> str:
    required = [e.columns[0] for e in expectations if e.gx_type == "ExpectColumnValuesToNotBeNull"]
    return _DESCRIPTIONS[blocking].format(
        kind=kind,
        key=", ".join(SPECS[kind].business_key),
        required=", ".join(required),
        checks="; ".join(e.description for e in expectations),
    )


def _null_locations(conn: duckdb.DuckDBPyConnection, table: str, column: str) -> tuple[str, ...]:
    """Where the rows without a value came from: export file, sheet and row."""
    rows = SQL.rows(conn, "null_locations", {"table": table, "column": column}, limit=SAMPLE_LIMIT)
    return masked_samples(
        (f"{file}{f' [{sheet}]' if sheet else ''} row {row}" for file, sheet, row in rows), column=None
    )


def _with_null_locations(conn: duckdb.DuckDBPyConnection, table: str, outcomes: list[Outcome]) -> list[Outcome]:
    """For missing required values the sample is where the row came from (the value is empty)."""
    located = []
    for o in outcomes:
        if not o.success and o.expectation == "expect_column_values_to_not_be_null" and o.unexpected_count:
            try:
                o = replace(o, samples=_null_locations(conn, table, o.column))
            except duckdb.Error:  # the lineage columns themselves may be what is broken
                o = replace(o, samples=("(row locations unavailable)",))
        located.append(o)
    return located


def run_staging_suite(
    warehouse: Warehouse, settings: PipelineSettings, kind: str, blocking: bool, run_id: str
) -> tuple[list[Outcome], dict]:
    """Validate ``staging.<kind>`` against the blocking or advisory suite and record the outcomes.

    Returns the outcomes and facts for the metadata (rows, as-of, seconds). Plain function, so it can
    be run outside Dagster (and tested) with the same effect as the asset check.
    """
    import time

    expectations = suite_for(kind, blocking)
    table = f"staging.{kind}"
    with warehouse.connect() as conn:
        as_of = settings.run_as_of(conn)
        frames = read_frames(conn, table, expectations)
        built_bound = recorded_amount_bound(conn, kind, BOUNDED_AMOUNTS[kind]) if kind in BOUNDED_AMOUNTS else None
    started = time.perf_counter()
    outcomes = validate(frames, expectations, suite_parameters(as_of, settings.rules(), built_bound))
    validate_seconds = time.perf_counter() - started
    with warehouse.connect() as conn:
        outcomes = _with_null_locations(conn, table, outcomes)
        record_outcomes(
            conn,
            check_name=CHECK_NAMES[blocking],
            table_name=table,
            severity="ERROR" if blocking else "WARN",
            run_id=run_id,
            as_of=as_of,
            outcomes=outcomes,
        )
    facts = {
        "rows_validated": dg.MetadataValue.int(frames.row_count),
        "columns_read": dg.MetadataValue.int(len(frames.rows.columns)),
        "as_of": dg.MetadataValue.text(as_of.isoformat()),
        "read_seconds": dg.MetadataValue.float(round(frames.read_seconds, 3)),
        "validate_seconds": dg.MetadataValue.float(round(validate_seconds, 3)),
        "run_id": dg.MetadataValue.text(run_id),
    }
    return outcomes, facts


def build_gx_check(kind: str, blocking: bool) -> dg.AssetChecksDefinition:
    """The ``gx_blocking`` (ERROR, blocks downstream) or ``gx_advisory`` (WARN) check of a staging table."""
    expectations = suite_for(kind, blocking)
    severity = dg.AssetCheckSeverity.ERROR if blocking else dg.AssetCheckSeverity.WARN
    # No additional dependency on staging.sales_order_lines (where an unconfigured as-of date comes
    # from): Dagster would count the check as downstream of that table, and a failed blocking check
    # there would then skip the checks of every other table. Step order still gives one as-of date
    # per run: the in-process executor runs steps level by level, all staging tables before any check.

    @dg.asset_check(
        asset=dg.AssetKey(["staging", kind]),
        name=CHECK_NAMES[blocking],
        blocking=blocking,
        description=_description(kind, blocking, expectations),
    )
    def _check(context: dg.AssetCheckExecutionContext, warehouse: Warehouse, settings: PipelineSettings
               ) -> dg.AssetCheckResult:
        outcomes, facts = run_staging_suite(warehouse, settings, kind, blocking, run_id_of(context))
        failed = [o for o in outcomes if not o.success]
        if failed:
            context.log.warning(
                f"staging.{kind} {CHECK_NAMES[blocking]}: {len(failed)} of {len(outcomes)} expectations failed: "
                + "; ".join(f"{o.expectation} ({o.column or 'table'}): {o.unexpected_count}" for o in failed)
            )
        return dg.AssetCheckResult(
            passed=not failed,
            severity=severity,
            metadata=outcomes_metadata(outcomes, **facts),
            description=(f"{len(failed)} of {len(outcomes)} expectations failed" if failed
                         else f"all {len(outcomes)} expectations met"),
        )

    return _check


STAGING_CHECKS = [build_gx_check(kind, blocking) for kind in SPECS for blocking in (True, False)]
