"""Running an invariant check: compute its outcomes on the warehouse, record them in
quality.validation_results and report them to Dagster. Every analytics and integrity check goes
through here, so they all read the same way in the UI."""

from collections.abc import Callable, Mapping, Sequence
from datetime import date
from typing import Any

import duckdb
from dagster import (
    AssetCheckExecutionContext,
    AssetCheckResult,
    AssetChecksDefinition,
    AssetCheckSeverity,
    AssetKey,
    MetadataValue,
    asset_check,
)

from assets.common.consistency import built_as_of
from assets.common.resources import PipelineSettings, Warehouse
from assets.common.sql import split_statements
from assets.common.table_asset import table_key
from checks.common.results import (
    SAMPLE_LIMIT,
    Outcome,
    counted_outcome,
    masked_samples,
    outcomes_metadata,
    record_outcomes,
    run_id_of,
)


def run_check(
    context,
    warehouse: Warehouse,
    settings: PipelineSettings,
    *,
    check_name: str,
    table: str,
    compute: Callable[[duckdb.DuckDBPyConnection, date], Sequence[Outcome]],
    severity: str = "ERROR",
) -> AssetCheckResult:
    """Run ``compute`` with the as-of date the table was built for (else the run's), record the
    outcomes and return the check result: passed when every outcome succeeded."""
    with warehouse.connect() as conn:
        as_of = built_as_of(conn, table) or settings.run_as_of(conn)
        outcomes = list(compute(conn, as_of))
        record_outcomes(conn, check_name=check_name, table_name=table, severity=severity,
                        run_id=run_id_of(context), as_of=as_of, outcomes=outcomes)
    failed = [o for o in outcomes if not o.success]
    return AssetCheckResult(
        passed=not failed,
        severity=AssetCheckSeverity(severity),
        metadata=outcomes_metadata(outcomes, as_of=MetadataValue.text(as_of.isoformat())),
        description="all invariants hold" if not failed
        else "; ".join(f"{o.description}: {o.unexpected_count} failing" for o in failed),
    )


# What an invariant check computes: its outcomes, from the warehouse, the as-of date the table was
# built for and the run's validated settings (``settings.rules()``).
Compute = Callable[[duckdb.DuckDBPyConnection, date, Mapping[str, Any]], Sequence[Outcome]]


def invariant_check(
    table: str,
    compute: Compute,
    *,
    additional_deps: Sequence[str | AssetKey] = (),
    severity: str = "ERROR",
    blocking: bool = False,
    name: str | None = None,
    description: str | None = None,
) -> AssetChecksDefinition:
    """The Dagster asset check on the asset of ``table`` (``"analytics.rfm"``) that runs ``compute``
    through ``run_check``, so every invariant check records and reports the same way; it runs after
    the tables ``additional_deps`` (names such as ``"core.orders"``) too. The check is
    named after ``compute`` and described by its docstring (the text the Dagster UI shows), so what
    a check asserts is written once, beside the code that asserts it; ``name`` and ``description``
    replace them where the function cannot carry them (a description with values filled in)."""
    name = name or compute.__name__
    after = [table_key(dep) if isinstance(dep, str) else dep for dep in additional_deps]
    description = description or " ".join((compute.__doc__ or "").split())

    @asset_check(
        asset=AssetKey(table.split(".")),
        name=name,
        description=description,
        additional_deps=after,
        blocking=blocking,
    )
    def _check(context: AssetCheckExecutionContext, warehouse: Warehouse,
               settings: PipelineSettings) -> AssetCheckResult:
        rules = settings.rules()
        return run_check(context, warehouse, settings, check_name=name, table=table, severity=severity,
                         compute=lambda conn, as_of: compute(conn, as_of, rules))

    return _check


def query_outcome(conn: duckdb.DuckDBPyConnection, expectation: str, column: str | None, description: str,
                  total: int, failing_sql: str, params: Mapping[str, Any] | None = None, *,
                  sort_samples: bool = True) -> Outcome:
    """An outcome from a query listing the failing elements, one per row, described by its first
    column (up to 10 of them, masked, become the sample values: sorted by their text, or with
    ``sort_samples=False`` in the query's own order). Of ``params``, those the query names are bound
    (DuckDB refuses parameters a statement does not use)."""
    named = split_statements(failing_sql)[0].parameters
    bound = {key: value for key, value in (params or {}).items() if key in named}
    failing = conn.execute(f"SELECT count(*) FROM ({failing_sql})", bound).fetchall()[0][0]
    order = "ORDER BY 1 " if sort_samples else ""
    samples = conn.execute(f"SELECT * FROM ({failing_sql}) {order}LIMIT {SAMPLE_LIMIT}", bound).fetchall()
    return counted_outcome(expectation, column, description, total=total, failing=failing,
                           samples=masked_samples((row[0] for row in samples), column=None))
