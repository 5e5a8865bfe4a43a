"""Materialisation metadata shown in the Dagster UI for every table asset: row count, column
schema and a short preview (contact details masked by the rules of ``masking.py``)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date
from typing import Any

import duckdb
from dagster import MaterializeResult, MetadataValue, TableColumn, TableSchema

from assets.common.masking import mask_value
from assets.common.resources import PipelineSettings, Warehouse

PREVIEW_ROWS = 5


def _mask_preview_value(column: str, value: Any) -> Any:
    """A preview cell with any e-mail address or phone number masked (the rules of masking.py); a
    column already masked by its asset (``*_masked``) is shown as it is."""
    if value is None or column.endswith("_masked"):
        return value
    return mask_value(str(value), column)


def markdown_table(header: Sequence[str], align: str, rows: Iterable[Sequence[object]]) -> str:
    """A markdown table for the metadata shown in the Dagster UI: the header line, the alignment line
    (``align`` has one letter a column, ``l`` left or ``r`` right) and a line a row, each cell as its
    text; no line break after the last row."""
    if len(align) != len(header) or set(align) - {"l", "r"}:
        raise ValueError(f"align needs one letter l or r per column of {list(header)}, got {align!r}")
    lines = ["| " + " | ".join(header) + " |", "|" + "".join("---:|" if a == "r" else "---|" for a in align)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def table_metadata(conn: duckdb.DuckDBPyConnection, table: str, **extra: Any) -> dict[str, Any]:
    """Row count, column schema and a masked preview of a warehouse table, plus any extra values."""
    row_count = conn.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0]
    preview = conn.sql(f"SELECT * FROM {table} LIMIT {PREVIEW_ROWS}")  # its columns and types are the table's
    names = preview.columns
    columns = list(zip(names, (str(t) for t in preview.types), strict=True))
    preview_rows = preview.fetchall()
    header = "| " + " | ".join(names) + " |\n|" + "---|" * len(names) + "\n"
    body = "".join(
        "| "
        + " | ".join(str(_mask_preview_value(n, v)).replace("|", "\\|") for n, v in zip(names, row, strict=True))
        + " |\n"
        for row in preview_rows
    )
    metadata: dict[str, Any] = {
        "dagster/row_count": MetadataValue.int(int(row_count)),
        "dagster/column_schema": MetadataValue.table_schema(
            TableSchema(columns=[TableColumn(name=c[0], type=str(c[1])) for c in columns])
        ),
        "dagster/table_name": MetadataValue.text(table),
        "preview": MetadataValue.md(header + body),
    }
    metadata.update(extra)
    return metadata


def materialize_as_of(
    warehouse: Warehouse,
    settings: PipelineSettings,
    table: str,
    build: Callable[[duckdb.DuckDBPyConnection, date], Mapping[str, Any] | None],
) -> MaterializeResult:
    """The body of a table asset built for the run's as-of date: connect to the warehouse, take the
    as-of date (the configured one, else the newest order date), let ``build(conn, as_of)`` rebuild
    ``table`` and return the asset's own metadata values (or None), and report the table's metadata:
    row count, schema, masked preview, ``as_of``, then the values ``build`` returned, in its order."""
    with warehouse.connect() as conn:
        as_of = settings.run_as_of(conn)
        extra = build(conn, as_of) or {}
        return MaterializeResult(
            metadata=table_metadata(conn, table, as_of=MetadataValue.text(as_of.isoformat()), **extra)
        )
