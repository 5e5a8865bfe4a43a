"""How the number columns of an export are read: which decimal separator each column uses in each
delivered file, decided from the evidence of all its values, and why a value that cannot be read
with it is quarantined instead of being changed in magnitude.

A value such as ``1,234.50`` or ``12.5`` can only be read with ``.`` as decimal separator, ``1.234,50``
or ``12,5`` only with ``,``; ``1,234`` could be either (1234 or 1.234). Per export kind, column and
file version the counts of such evidence decide (``crm_decimal_decision`` in ``sql_functions``):
the column's majority, else the ``[staging] decimal_separator`` setting, else the file's other number
columns, else ``.``. This is done with window functions over the file, so it is one set-based pass
in the staging query.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import duckdb

DECIMAL_SEPARATORS = ("auto", ".", ",")

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
class NumberSettings:
    """``[staging] decimal_separator``: "auto" (decide from the values, "." without evidence), or "."
    / "," for columns whose own values do not tell."""

    decimal_separator: str = "auto"

    @classmethod
    def from_thresholds(cls, thresholds: Mapping[str, Any] | None) -> NumberSettings:
        value = str((thresholds or {}).get("staging", {}).get("decimal_separator", cls.decimal_separator))
        if value not in DECIMAL_SEPARATORS:
            raise ValueError(
                f"[staging] decimal_separator must be one of {', '.join(repr(s) for s in DECIMAL_SEPARATORS)}, "
                f"got {value!r}"
            )
        return cls(value)


@dataclass(frozen=True)
class NumberColumns:
    """The number columns of one export kind, read with one decimal separator per column and file.

    ``derived()`` are the helper columns the staging query computes over ``raw.<kind>``, one step
    over the previous: for a column ``amount`` the parts ``_amount__parts``, digits ``_amount__body``
    and format ``_amount__format`` of each value, the evidence counts ``_amount__dot`` and
    ``_amount__comma`` of its file version (a sheet counts as a file), then ``_amount__decision``
    (decimal separator and why). The other methods give SQL over those columns.
    """

    columns: tuple[str, ...]
    decimal_separator: str = "auto"

    def derived(self) -> tuple[dict[str, str] | str, ...]:
        """The helper-column steps, each computed over the result of the previous one."""
        evidence = ", ".join(f"count(*) FILTER (WHERE _{c}__format = '{f}') AS _{c}__{f}"
                             for c in self.columns for f in ("dot", "comma"))
        file_dot = " + ".join(f"_{c}__dot" for c in self.columns)
        file_comma = " + ".join(f"_{c}__comma" for c in self.columns)
        return (
            {f"_{c}__parts": f"crm_number_parts({c})" for c in self.columns},
            {f"_{c}__body": f"crm_number_body(_{c}__parts)" for c in self.columns},
            {f"_{c}__format": f"crm_number_format_of(_{c}__body)" for c in self.columns},
            # the evidence of each file version, joined to its rows (faster than windows over wide rows)
            f"""SELECT r.*, e.* EXCLUDE (_source_file, _sheet, _file_hash) FROM {{previous}} r
                JOIN (SELECT _source_file, _sheet, _file_hash, {evidence} FROM {{previous}} GROUP BY ALL) e
                  ON e._source_file = r._source_file AND e._sheet IS NOT DISTINCT FROM r._sheet
                 AND e._file_hash = r._file_hash""",
            {f"_{c}__decision": f"crm_decimal_decision(_{c}__dot, _{c}__comma, {file_dot}, {file_comma}, "
                                f"'{self.decimal_separator}')" for c in self.columns},
        )

    @staticmethod
    def mark(column: str) -> str:
        """SQL: the decimal separator of ``column`` in the row's file ('.', ',' or NULL: undecided)."""
        return f"_{column}__decision['mark']"

    def exact(self, column: str) -> str:
        """SQL: the column's exact value, DECIMAL(38, 6), NULL when it cannot be read."""
        return (f"crm_number_value_of(_{column}__parts, _{column}__body, "
                f"crm_reading_mark(_{column}__format, {self.mark(column)}))")

    def number(self, column: str) -> str:
        """SQL: the column as a DOUBLE (quantities)."""
        return f"CAST({self.exact(column)} AS DOUBLE)"

    def amount(self, column: str) -> str:
        """SQL: the column as money, DECIMAL(18, 2)."""
        return f"TRY_CAST({self.exact(column)} AS DECIMAL(18, 2))"

    def problem(self, column: str) -> str:
        """SQL: why the column's value cannot be read (a key of NUMBER_PROBLEMS), NULL when it can."""
        return (f"crm_number_problem_of({column}, _{column}__format, {self.mark(column)}, "
                f"{self.exact(column)})")


# Temp table of one build: per row of the current export versions, the number columns' formats
# and decisions (and the values the caller asks for), computed once for the build's reports.
NUMBER_READINGS = "_number_readings"

NUMBER_FORMATS_DDL = """CREATE TABLE IF NOT EXISTS quality.number_formats (
    kind VARCHAR, source_file VARCHAR, sheet VARCHAR, column_name VARCHAR, decimal_separator VARCHAR,
    decided_by VARCHAR, values_present BIGINT, dot_evidence BIGINT, comma_evidence BIGINT, ambiguous_values BIGINT)"""


def read_numbers(conn: duckdb.DuckDBPyConnection, spec_source: str, numbers: NumberColumns,
                 values: Mapping[str, str]) -> None:
    """Fill the temp table NUMBER_READINGS from the current version of every export (the latest
    delivery of each file and sheet): ``spec_source`` is the staging spec's source relation, ``values``
    extra columns to keep (name -> SQL over it)."""
    columns = ", ".join(
        [f"_{c}__decision, _{c}__format, crm_text({c}) IS NOT NULL AS _{c}__present" for c in numbers.columns]
        + [f"{sql} AS {name}" for name, sql in values.items()]
    )
    conn.execute(
        f"""CREATE OR REPLACE TEMP TABLE {NUMBER_READINGS} AS
            SELECT * EXCLUDE (_loaded_at) FROM (SELECT _source_file, _sheet, _loaded_at, {columns} FROM {spec_source})
            QUALIFY _loaded_at = max(_loaded_at) OVER (PARTITION BY _source_file, _sheet)"""
    )


def number_formats_sql(kind: str, numbers: NumberColumns) -> str:
    """One row per current file (and sheet) and number column with values: the decimal separator
    decided and the evidence it was decided on (from NUMBER_READINGS)."""
    return "\nUNION ALL\n".join(
        f"""SELECT '{kind}', _source_file, _sheet, '{c}', any_value(_{c}__decision['mark']),
                   any_value(_{c}__decision['decided_by']), count(*) FILTER (WHERE _{c}__present),
                   count(*) FILTER (WHERE _{c}__format = 'dot'), count(*) FILTER (WHERE _{c}__format = 'comma'),
                   count(*) FILTER (WHERE _{c}__format = 'ambiguous')
            FROM {NUMBER_READINGS} GROUP BY _source_file, _sheet HAVING count(*) FILTER (WHERE _{c}__present) > 0"""
        for c in numbers.columns
    )


def record_number_formats(conn: duckdb.DuckDBPyConnection, kind: str, numbers: NumberColumns) -> None:
    """Replace the rows of ``kind`` in ``quality.number_formats`` with the decisions in NUMBER_READINGS."""
    conn.execute("CREATE SCHEMA IF NOT EXISTS quality")
    conn.execute(NUMBER_FORMATS_DDL)
    conn.execute("BEGIN TRANSACTION")
    try:
        conn.execute("DELETE FROM quality.number_formats WHERE kind = ?", [kind])
        conn.execute(f"INSERT INTO quality.number_formats {number_formats_sql(kind, numbers)} "
                     "ORDER BY 2, 3 NULLS FIRST, 4")
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
