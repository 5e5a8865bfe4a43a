"""The staging spec of one run: the shipped spec with this run's settings and data-derived values
(the decimal-separator setting, the plausibility bound of sales amounts), and the record of what was
decided (``quality.number_formats``, ``quality.amount_bounds``, asset metadata)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

import duckdb
from dagster import MetadataValue

from assets.common.sql import SqlFolder
from assets.staging.numbers import NumberColumns, prepare_number_inputs, record_number_formats
from assets.staging.plausibility import derive_amount_bound, record_amount_bound
from assets.staging.settings import NumberSettings, PlausibilitySettings, date_order_setting
from assets.staging.specs import NUMBER_COLUMNS, StagingSpec, staging_specs
from assets.staging.sql_functions import install_sql_functions

# Kinds whose amounts have a plausibility bound, with the amount column.
BOUNDED_AMOUNTS = {"sales_order_lines": "amount"}
_METADATA_ROWS = 20
SQL = SqlFolder(__file__)


@dataclass(frozen=True)
class StagingRun:
    """The spec to build with, and what it decided, as Dagster metadata."""

    spec: StagingSpec
    metadata: dict[str, Any]


def prepare_staging_run(conn: duckdb.DuckDBPyConnection, kind: str, thresholds: Mapping[str, Any]) -> StagingRun:
    """Decide the run's number formats and amount bound from ``raw.<kind>`` and the settings, record
    them, and return the spec to build ``staging.<kind>`` with."""
    install_sql_functions(conn)
    separator = NumberSettings.from_thresholds(thresholds).decimal_separator
    date_order = date_order_setting(thresholds)
    if kind not in NUMBER_COLUMNS:
        return StagingRun(replace(staging_specs(separator)[kind], date_order=date_order), {})
    numbers = NumberColumns(NUMBER_COLUMNS[kind], separator)
    inputs = prepare_number_inputs(conn, kind, numbers)
    record_number_formats(conn, kind, numbers, inputs.evidence)
    metadata: dict[str, Any] = {"decimal_separators": MetadataValue.md(_notable_number_formats(conn, kind))}
    bound = None
    if kind in BOUNDED_AMOUNTS:
        plausibility = PlausibilitySettings.from_thresholds(thresholds)
        # the amounts of the current version of every export, read as the staging query reads them
        amounts = {"kind": kind, "column": BOUNDED_AMOUNTS[kind],
                   **NumberColumns(numbers.columns, separator, inputs).structure()}
        bound = derive_amount_bound(conn, amounts, plausibility)
        record_amount_bound(conn, kind, BOUNDED_AMOUNTS[kind], bound, plausibility)
        metadata["amount_bound"] = MetadataValue.float(float(bound.value))
        metadata["amount_bound_rule"] = MetadataValue.text(bound.rule)
    return StagingRun(replace(staging_specs(separator, bound, {kind: inputs})[kind], date_order=date_order), metadata)


def _notable_number_formats(conn: duckdb.DuckDBPyConnection, kind: str) -> str:
    """The columns where the decision mattered and was not simply '.' by their own evidence: decimal
    commas, undecided columns, and ambiguous values read by the setting, the file or the default."""
    rows = SQL.rows(conn, "notable_number_formats", kind=kind, limit=_METADATA_ROWS)
    if not rows:
        return "Every number column reads with '.' as decimal separator, as its own values show."
    lines = ["| file | column | decimal separator | decided by | only '.' | only ',' | ambiguous |",
             "|---|---|---|---|---|---|---|"]
    for file, sheet, column, mark, decided_by, dot, comma, ambiguous, _ in rows:
        where = f"{file} [{sheet}]" if sheet else file
        cells = (where.replace("|", "/"), column, mark, decided_by, dot, comma, ambiguous)
        lines.append("| " + " | ".join(str(c) for c in cells) + " |")
    if rows[0][-1] > len(rows):
        lines.append(f"\n{rows[0][-1] - len(rows)} more in quality.number_formats")
    return "\n".join(lines)
