"""Small reads every layer needs: does a warehouse table exist, and a query's rows as dicts."""

from __future__ import annotations

from typing import Any

import duckdb


def table_exists(conn: duckdb.DuckDBPyConnection, qualified: str) -> bool:
    """Whether the table or view ``schema.table`` exists (a sales-only inbox, say, leaves some
    tables unbuilt). A catalog query, not a trial read: a failed read would abort the caller's
    transaction."""
    schema, name = qualified.split(".", 1)
    # DuckDB's own catalog functions: information_schema is a view over them, several times slower
    # (this runs dozens of times a run)
    return bool(conn.execute(
        "SELECT (SELECT count(*) FROM duckdb_tables() WHERE schema_name = $schema AND table_name = $name)"
        " + (SELECT count(*) FROM duckdb_views() WHERE schema_name = $schema AND view_name = $name)",
        {"schema": schema, "name": name},
    ).fetchall()[0][0])


def column_names(conn: duckdb.DuckDBPyConnection, qualified: str) -> set[str]:
    """The columns of table ``schema.table`` (empty when it does not exist)."""
    schema, name = qualified.split(".", 1)
    return {r[0] for r in conn.execute(
        "SELECT column_name FROM duckdb_columns() WHERE schema_name = ? AND table_name = ?",
        [schema, name],
    ).fetchall()}


def fetch_dicts(conn: duckdb.DuckDBPyConnection, sql: str, params: list | dict | None = None) -> list[dict[str, Any]]:
    """Rows of a query as dicts (column name → value), in the query's order."""
    result = conn.execute(sql, params or [])
    names = [c[0] for c in result.description]
    return [dict(zip(names, row, strict=True)) for row in result.fetchall()]
