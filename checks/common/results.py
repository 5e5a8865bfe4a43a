"""What every data-quality check reports: one outcome per expectation, kept in
``quality.validation_results`` (history of every evaluation) and shown as check metadata in the UI.

Sample failing values are masked before they leave the check: phone numbers as ``138****8000``,
e-mail addresses as ``z***@example.com``.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import duckdb

from assets.common.masking import mask_value
from assets.common.sql import SqlFolder

SAMPLE_LIMIT = 10
SQL = SqlFolder(__file__)


@dataclass(frozen=True)
class Outcome:
    """The result of one expectation on one table: counts and up to 10 masked sample values."""

    expectation: str
    column: str | None
    description: str
    success: bool
    element_count: int | None = None
    unexpected_count: int | None = None
    unexpected_percent: float | None = None
    samples: tuple[str, ...] = ()


def format_value(value: Any) -> str:
    """A sample value as short text: dates in ISO form, whole floats without '.0', keys as k=v."""
    if value is None:
        return "(empty)"
    if isinstance(value, dict):
        return ", ".join(f"{k}={format_value(v)}" for k, v in value.items())
    if isinstance(value, list | tuple):
        return "(" + ", ".join(format_value(v) for v in value) + ")"
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, float):
        if value != value:  # NaN
            return "(empty)"
        return str(int(value)) if value.is_integer() else str(value)
    if str(getattr(value, "dtype", "")).startswith("datetime64"):  # numpy.datetime64 from column pairs
        import pandas as pd

        return format_value(pd.Timestamp(value).to_pydatetime())
    if hasattr(value, "isoformat"):
        text = value.isoformat()
        return text.replace("T", " ")
    return str(value)


def masked_samples(values: Iterable[Any], column: str | None, limit: int = SAMPLE_LIMIT) -> tuple[str, ...]:
    """Up to ``limit`` distinct values, formatted and masked, in the order given."""
    seen: dict[str, None] = {}
    for value in values:
        if isinstance(value, dict):  # several columns: mask each part as its own column
            text = ", ".join(f"{k}={mask_value(format_value(v), str(k))}" for k, v in value.items())
        else:
            text = mask_value(format_value(value), column)
        seen.setdefault(text, None)
        if len(seen) >= limit:
            break
    return tuple(seen)


def counted_outcome(expectation: str, column: str | None, description: str, *, total: int, failing: int,
                    samples: tuple[str, ...] = ()) -> Outcome:
    """The outcome of ``failing`` elements out of the ``total`` checked (their share in percent, 0 when
    nothing was checked): it succeeds when none fails. ``samples`` describe failing elements."""
    return Outcome(expectation=expectation, column=column, description=description, success=failing == 0,
                   element_count=int(total), unexpected_count=int(failing),
                   unexpected_percent=100.0 * failing / total if total else 0.0, samples=samples)


def comparison_outcome(expectation: str, column: str | None, description: str, *, element_count: int,
                       failure: str | None) -> Outcome:
    """The outcome of one comparison of a figure of the table with what it should be: it fails when
    there is a ``failure`` (the text saying what was found), counted as one unexpected element."""
    return Outcome(expectation=expectation, column=column, description=description, success=failure is None,
                   element_count=int(element_count), unexpected_count=0 if failure is None else 1,
                   samples=() if failure is None else (failure,))


def within_tolerance_outcome(expectation: str, column: str | None, description: str, *, element_count: int,
                             value: Any, expected: float, tolerance: float) -> Outcome:
    """A ``comparison_outcome``: ``value`` is within ``tolerance`` of ``expected``; when it is not, the
    value found (9 decimals) is the sample."""
    ok = abs(float(value) - expected) <= tolerance
    return comparison_outcome(expectation, column, description, element_count=element_count,
                              failure=None if ok else f"{float(value):.9f}")


# --- run id, persistence and metadata ------------------------------------------------------------


def run_id_of(context: Any) -> str:
    """The Dagster run id; a directly invoked check (tests, notebooks) gets a one-off id instead."""
    try:
        return context.run.run_id
    except Exception:  # direct invocation: no run on the context
        return f"direct-{uuid.uuid4()}"


def _whole(value: Any) -> int | None:
    return None if value is None else int(value)


def record_outcomes(
    conn: duckdb.DuckDBPyConnection,
    *,
    check_name: str,
    table_name: str,
    severity: str,
    run_id: str,
    as_of: date | None,
    outcomes: Sequence[Outcome],
) -> None:
    """Append one row per outcome to ``quality.validation_results``.

    The rows of the same run, check and table are replaced (in one transaction), so a step retried
    within a run does not count twice, while earlier runs stay as history.
    """
    SQL.run(conn, "validation_results")
    validated_at = datetime.now(UTC).replace(tzinfo=None)
    rows = [
        {"check_name": check_name, "table_name": table_name, "expectation": o.expectation, "column_name": o.column,
         "success": bool(o.success), "element_count": _whole(o.element_count),
         "unexpected_count": _whole(o.unexpected_count),
         "unexpected_percent": None if o.unexpected_percent is None else float(o.unexpected_percent),
         "sample_values": json.dumps(list(o.samples), ensure_ascii=False), "severity": severity,
         "run_id": run_id, "as_of": as_of, "validated_at": validated_at}
        for o in outcomes
    ]
    conn.execute("BEGIN TRANSACTION")
    try:
        SQL.run(conn, "forget_run_results", run_id=run_id, check_name=check_name, table_name=table_name)
        if rows:
            SQL.run(conn, "validation_result", outcomes=rows)
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


def _cell(value: Any) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ")


def _percent(value: float | None) -> str:
    return "" if value is None else f"{value:.2f}"


def outcomes_markdown(outcomes: Sequence[Outcome]) -> str:
    """A markdown table of outcomes: expectation, column, unexpected rows and share, samples."""
    if not outcomes:
        return "none"
    lines = ["| ok | expectation | column | unexpected | unexpected % | sample values | guarantees |",
             "|---|---|---|---:|---:|---|---|"]
    for o in outcomes:
        lines.append(
            f"| {'✅' if o.success else '❌'} | {_cell(o.expectation)} | {_cell(o.column or '(table)')} | "
            f"{'' if o.unexpected_count is None else o.unexpected_count} | {_percent(o.unexpected_percent)} | "
            f"{_cell('; '.join(o.samples))} | {_cell(o.description)} |"
        )
    return "\n".join(lines)


def outcomes_metadata(outcomes: Sequence[Outcome], **extra: Any) -> dict[str, Any]:
    """Check metadata: counts, a table of the failed expectations and of the whole suite, and per
    failed expectation its unexpected row count (a number, so the UI can plot it across runs)."""
    from dagster import MetadataValue

    failed = [o for o in outcomes if not o.success]
    metadata: dict[str, Any] = {
        "expectations_evaluated": MetadataValue.int(len(outcomes)),
        "expectations_failed": MetadataValue.int(len(failed)),
        "failed_expectations": MetadataValue.md(outcomes_markdown(failed)),
        "all_expectations": MetadataValue.md(outcomes_markdown(outcomes)),
        "failures": MetadataValue.json(
            [
                {"expectation": o.expectation, "column": o.column, "unexpected_count": o.unexpected_count,
                 "unexpected_percent": o.unexpected_percent, "sample_values": list(o.samples)}
                for o in failed
            ]
        ),
    }
    for o in failed:
        if o.unexpected_count is not None:
            metadata[f"unexpected: {o.expectation} ({o.column or 'table'})"] = MetadataValue.int(o.unexpected_count)
    metadata.update(extra)
    return metadata
