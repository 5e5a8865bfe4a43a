"""The staging spec of one run: the shipped spec with this run's settings and data-derived values
(the decimal-separator setting, the plausibility bound of sales amounts), and the record of what was
decided (``quality.number_formats``, ``quality.amount_bounds``, asset metadata)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

import duckdb
from dagster import MetadataValue

from assets.staging.date_order import date_order_setting
from assets.staging.numbers import (
    CURRENT_VERSION,
    NumberColumns,
    NumberSettings,
    prepare_number_inputs,
    record_number_formats,
)
from assets.staging.plausibility import PlausibilitySettings, derive_amount_bound, record_amount_bound
from assets.staging.specs import NUMBER_COLUMNS, StagingSpec, staging_specs
from assets.staging.sql_functions import install_sql_functions

# Kinds whose amounts have a plausibility bound, with the amount column.
BOUNDED_AMOUNTS = {"sales_order_lines": "amount"}
_METADATA_ROWS = 20


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
        amounts = (f"(SELECT {numbers.value(BOUNDED_AMOUNTS[kind])} AS amount "
                   f"FROM {NumberColumns(numbers.columns, separator, inputs).source(kind)} {CURRENT_VERSION})")
        bound = derive_amount_bound(conn, amounts, plausibility)
        record_amount_bound(conn, kind, BOUNDED_AMOUNTS[kind], bound, plausibility)
        metadata["amount_bound"] = MetadataValue.float(float(bound.value))
        metadata["amount_bound_rule"] = MetadataValue.text(bound.rule)
    return StagingRun(replace(staging_specs(separator, bound, {kind: inputs})[kind], date_order=date_order), metadata)


def _notable_number_formats(conn: duckdb.DuckDBPyConnection, kind: str) -> str:
    """The columns where the decision mattered and was not simply '.' by their own evidence: decimal
    commas, undecided columns, and ambiguous values read by the setting, the file or the default."""
    rows = conn.execute(
        """SELECT source_file, sheet, column_name, coalesce(decimal_separator, 'undecided'), decided_by,
                  dot_evidence, comma_evidence, ambiguous_values, count(*) OVER () AS notable
           FROM quality.number_formats
           WHERE kind = ? AND dot_evidence + comma_evidence + ambiguous_values > 0
             AND (decimal_separator IS DISTINCT FROM '.' OR (ambiguous_values > 0 AND decided_by <> 'column evidence'))
           ORDER BY source_file, sheet NULLS FIRST, column_name LIMIT ?""",
        [kind, _METADATA_ROWS],
    ).fetchall()
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
