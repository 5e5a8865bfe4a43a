"""How the number columns of an export are read: which decimal separator each column uses in each
delivered file, decided from the evidence of all its values, and why a value that cannot be read
with it is quarantined instead of being changed in magnitude.

A value such as ``1,234.50`` or ``12.5`` can only be read with ``.`` as decimal separator, ``1.234,50``
or ``12,5`` only with ``,``; ``1,234`` could be either (1234 or 1.234). Per export kind, column and
file version (a sheet of a workbook counts as a file) the counts of such evidence decide
(``crm_decimal_decision`` in ``sql_functions``): the column's majority, else the ``[staging]
decimal_separator`` setting, else the file's other number columns, else ``.``.

Set-based in SQL (sql/number_inputs.sql): every value is parsed once (``prepare_number_inputs``, a
temp table for the build), one aggregate gives the evidence and decision of every file version and
column, and the staging query joins it to the rows and reads each value with its column's decision.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import duckdb

from assets.common.sql import SqlFolder

SQL = SqlFolder(__file__)

# Problem codes of crm_number_problem and the quarantine rule each one is reported as.
NUMBER_PROBLEMS: dict[str, str] = {
    "not a number": "not a number",
    "percentage": "percentage where a number is expected: give the value itself (the discount in CNY, not 10%)",
    "ambiguous": (
        'ambiguous number: could be read with "." or "," as decimal separator (1,234 = 1234 or 1.234) and '
        "the other values of the column do not tell; set [staging] decimal_separator"
    ),
    "contradicts": (
        "number format contradicts the column: its decimal separator differs from the one the other values "
        "of this column in the file use (see quality.number_formats); correct the value in the export"
    ),
}


@dataclass(frozen=True)
class NumberInputs:
    """Temp tables made for one build (``prepare_number_inputs``): ``parsed`` is ``raw.<kind>`` with
    every number value parsed, ``evidence`` the evidence and decision of every file version."""

    parsed: str
    evidence: str


@dataclass(frozen=True)
class NumberColumns:
    """The number columns of one export kind, read with one decimal separator per column and file.

    For a column ``amount`` the staging query computes, per value, its text ``_amount__text``, parts
    ``_amount__parts``, digits ``_amount__body`` and format ``_amount__format``; the decision
    ``_amount__decision`` ({mark, decided_by}) of its file version; then its exact value
    ``_amount__value`` and, when it cannot be used, ``_amount__problem`` (sql/number_inputs.sql).
    With ``inputs`` the parsing and the evidence were done once for the build, in temp tables.
    """

    columns: tuple[str, ...]
    decimal_separator: str = "auto"
    inputs: NumberInputs | None = None

    def structure(self) -> dict[str, Any]:
        """What the number macros of sql/number_inputs.sql need: the columns and the temp tables."""
        return {
            "number_columns": list(self.columns),
            "parsed": self.inputs.parsed if self.inputs else None,
            "evidence": self.inputs.evidence if self.inputs else None,
        }

    def parameters(self) -> dict[str, Any]:
        """The values the number macros bind: the setting, when the query decides the separators itself."""
        return {} if self.inputs else {"decimal_separator": self.decimal_separator}


def prepare_number_inputs(conn: duckdb.DuckDBPyConnection, kind: str, numbers: NumberColumns) -> NumberInputs:
    """Parse every number value of ``raw.<kind>`` once, and decide every file version's decimal
    separators, into temp tables for one build and its reports."""
    inputs = NumberInputs(parsed=f"_number_parsed_{kind}", evidence=f"_number_evidence_{kind}")
    SQL.run(conn, "number_inputs",
            {"kind": kind, "columns": list(numbers.columns), "parsed": inputs.parsed, "evidence": inputs.evidence},
            decimal_separator=numbers.decimal_separator)
    return inputs


def record_number_formats(conn: duckdb.DuckDBPyConnection, kind: str, numbers: NumberColumns, evidence: str) -> None:
    """Replace the rows of ``kind`` in ``quality.number_formats``: per current file and number column
    with values, the decimal separator decided and the evidence it was decided on."""
    SQL.run(conn, "number_formats_table")
    conn.execute("BEGIN TRANSACTION")
    try:
        SQL.run(conn, "number_formats", {"columns": list(numbers.columns), "evidence": evidence},
                kind=kind, column_names=list(numbers.columns))
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
