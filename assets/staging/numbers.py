"""How the number columns of an export are read: which decimal separator each column uses in each
delivered file, decided from the evidence of all its values, and why a value that cannot be read
with it is quarantined instead of being changed in magnitude.

A value such as ``1,234.50`` or ``12.5`` can only be read with ``.`` as decimal separator, ``1.234,50``
or ``12,5`` only with ``,``; ``1,234`` could be either (1234 or 1.234). Per export kind, column and
file version (a sheet of a workbook counts as a file) the counts of such evidence decide
(``crm_decimal_decision`` in ``sql_functions``): the column's majority, else the ``[staging]
decimal_separator`` setting, else the file's other number columns, else ``.``.

Set-based in SQL: every value is parsed once (``prepare_number_inputs``, a temp table for the
build), one aggregate gives the evidence and decision of every file version and column
(``evidence_sql``), and the staging query joins it to the rows and reads each value with its
column's decision.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import duckdb

from assets.common.settings import shipped

DECIMAL_SEPARATORS = ("auto", ".", ",")
# Money is exact to the fen.
MONEY = "DECIMAL(18, 2)"

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

    decimal_separator: str = str(shipped("staging", "decimal_separator"))

    @classmethod
    def from_thresholds(cls, thresholds: Mapping[str, Any] | None) -> NumberSettings:
        value = str((thresholds or {}).get("staging", {}).get("decimal_separator", cls.decimal_separator))
        if value not in DECIMAL_SEPARATORS:
            raise ValueError(
                f"[staging] decimal_separator must be one of {', '.join(repr(s) for s in DECIMAL_SEPARATORS)}, "
                f"got {value!r}"
            )
        return cls(value)


def derived_relation(base: str, steps: Sequence[Mapping[str, str] | str]) -> str:
    """SQL relation: ``base`` with helper-column steps, each over the result of the previous one. A
    step is either columns (name -> SQL) or a whole SELECT over ``{previous}``."""
    if not steps:
        return base
    sql, previous = [], base
    for i, step in enumerate(steps):
        if isinstance(step, str):
            sql.append(f"_step{i} AS ({step.format(previous=previous)})")
        else:
            sql.append(f"_step{i} AS (SELECT *, {', '.join(f'{e} AS {n}' for n, e in step.items())} FROM {previous})")
        previous = f"_step{i}"
    return f"(WITH {', '.join(sql)} SELECT * FROM {previous})"


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
    ``_amount__parts``, digits ``_amount__body`` and format ``_amount__format`` (``parse_steps``);
    the decision ``_amount__decision`` ({mark, decided_by}) of its file version (``evidence_sql``);
    then its exact value ``_amount__value`` and, when it cannot be used, ``_amount__problem``.
    With ``inputs`` the parsing and the evidence were done once for the build, in temp tables.
    """

    columns: tuple[str, ...]
    decimal_separator: str = "auto"
    inputs: NumberInputs | None = None

    def parse_steps(self) -> tuple[dict[str, str], ...]:
        """Per value: text, parts, digits and format."""
        return (
            {f"_{c}__text": f"crm_text({c})" for c in self.columns},
            {f"_{c}__parts": f"crm_number_parts_of(_{c}__text)" for c in self.columns},
            {f"_{c}__body": f"crm_number_body(_{c}__parts)" for c in self.columns},
            {f"_{c}__format": f"crm_number_format_of(_{c}__body)" for c in self.columns},
        )

    def evidence_sql(self, parsed: str) -> str:
        """One row per file version of ``parsed`` (rows with parse_steps done): per column the count
        of values present and of each format, and the decision."""
        counts = ", ".join(
            f"count(_{c}__text) AS _{c}__present, "
            + ", ".join(f"count(*) FILTER (WHERE _{c}__format = '{f}') AS _{c}__{f}"
                        for f in ("dot", "comma", "ambiguous"))
            for c in self.columns
        )
        file_dot = " + ".join(f"_{c}__dot" for c in self.columns)
        file_comma = " + ".join(f"_{c}__comma" for c in self.columns)
        decisions = ", ".join(
            f"crm_decimal_decision(_{c}__dot, _{c}__comma, {file_dot}, {file_comma}, '{self.decimal_separator}') "
            f"AS _{c}__decision" for c in self.columns
        )
        return f"""SELECT *, {decisions} FROM (
                SELECT _source_file, _sheet, _file_hash, max(_loaded_at) AS _loaded_at, {counts}
                FROM {parsed} GROUP BY _source_file, _sheet, _file_hash)"""

    def source(self, kind: str) -> str:
        """SQL relation: ``raw.<kind>`` with every helper column of the number columns."""
        decisions = ", ".join(f"e._{c}__decision" for c in self.columns)
        if self.inputs:
            parsed, evidence = self.inputs.parsed, self.inputs.evidence
            steps: list[Mapping[str, str] | str] = []
        else:  # parse and decide in the query itself
            parsed, evidence = "{previous}", f"({self.evidence_sql('{previous}')})"
            steps = list(self.parse_steps())
        steps.append(f"""SELECT r.*, {decisions} FROM {parsed} r JOIN {evidence} e
                           ON e._source_file = r._source_file AND e._sheet IS NOT DISTINCT FROM r._sheet
                          AND e._file_hash = r._file_hash""")
        steps.append({f"_{c}__value": f"crm_number_value_of(_{c}__parts, _{c}__body, "
                                      f"crm_reading_mark(_{c}__format, {self.mark(c)}))" for c in self.columns})
        steps.append({f"_{c}__problem": f"crm_number_problem_of(_{c}__text, _{c}__format, {self.mark(c)}, "
                                        f"_{c}__value)" for c in self.columns})
        return derived_relation(f"raw.{kind}", steps)

    @staticmethod
    def mark(column: str) -> str:
        """SQL: the decimal separator of ``column`` in the row's file ('.', ',' or NULL: undecided)."""
        return f"_{column}__decision['mark']"

    @staticmethod
    def value(column: str, as_type: str | None = None) -> str:
        """SQL: the column's exact value (DECIMAL(38, 6)), or cast to ``as_type`` (MONEY, DOUBLE);
        NULL when it cannot be read."""
        return f"TRY_CAST(_{column}__value AS {as_type})" if as_type else f"_{column}__value"

    @staticmethod
    def problem(column: str) -> str:
        """SQL: why the column's value cannot be read (a key of NUMBER_PROBLEMS), NULL when it can."""
        return f"_{column}__problem"


def prepare_number_inputs(conn: duckdb.DuckDBPyConnection, kind: str, numbers: NumberColumns) -> NumberInputs:
    """Parse every number value of ``raw.<kind>`` once, and decide every file version's decimal
    separators, into temp tables for one build and its reports."""
    inputs = NumberInputs(parsed=f"_number_parsed_{kind}", evidence=f"_number_evidence_{kind}")
    conn.execute(f"CREATE OR REPLACE TEMP TABLE {inputs.parsed} AS "
                 f"SELECT * FROM {derived_relation(f'raw.{kind}', numbers.parse_steps())}")
    conn.execute(f"CREATE OR REPLACE TEMP TABLE {inputs.evidence} AS {numbers.evidence_sql(inputs.parsed)}")
    return inputs


NUMBER_FORMATS_DDL = """CREATE TABLE IF NOT EXISTS quality.number_formats (
    kind VARCHAR, source_file VARCHAR, sheet VARCHAR, column_name VARCHAR, decimal_separator VARCHAR,
    decided_by VARCHAR, values_present BIGINT, dot_evidence BIGINT, comma_evidence BIGINT, ambiguous_values BIGINT)"""

# Only the current version of every export: the latest delivery of each file and sheet.
CURRENT_VERSION = "QUALIFY _loaded_at = max(_loaded_at) OVER (PARTITION BY _source_file, _sheet)"


def record_number_formats(conn: duckdb.DuckDBPyConnection, kind: str, numbers: NumberColumns, evidence: str) -> None:
    """Replace the rows of ``kind`` in ``quality.number_formats``: per current file and number column
    with values, the decimal separator decided and the evidence it was decided on."""
    rows = "\nUNION ALL\n".join(
        f"""SELECT '{kind}', _source_file, _sheet, '{c}', _{c}__decision['mark'], _{c}__decision['decided_by'],
                   _{c}__present, _{c}__dot, _{c}__comma, _{c}__ambiguous
            FROM current_files WHERE _{c}__present > 0"""
        for c in numbers.columns
    )
    conn.execute("CREATE SCHEMA IF NOT EXISTS quality")
    conn.execute(NUMBER_FORMATS_DDL)
    conn.execute("BEGIN TRANSACTION")
    try:
        conn.execute("DELETE FROM quality.number_formats WHERE kind = ?", [kind])
        conn.execute(f"""INSERT INTO quality.number_formats
                         WITH current_files AS (SELECT * FROM {evidence} {CURRENT_VERSION}) {rows}
                         ORDER BY 2, 3 NULLS FIRST, 4""")
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
