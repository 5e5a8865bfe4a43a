"""Reading a report's figures: the rows of a query of the topic's ``sql/`` folder as dicts."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import duckdb

from assets.common.sql import SqlFolder


def query_dicts(sql: SqlFolder, conn: duckdb.DuckDBPyConnection, name: str,
                structure: Mapping[str, Any] | None = None, **params: Any) -> list[dict[str, Any]]:
    """The rows of the last statement of ``name.sql`` as dicts (column name → value), in its order."""
    result = sql.run(conn, name, structure, **params)
    names = [c[0] for c in result.description]
    return [dict(zip(names, row, strict=True)) for row in result.fetchall()]


def query_one(sql: SqlFolder, conn: duckdb.DuckDBPyConnection, name: str,
              structure: Mapping[str, Any] | None = None, **params: Any) -> dict[str, Any]:
    """The single row of an aggregate query ``name.sql`` as a dict."""
    rows = query_dicts(sql, conn, name, structure, **params)
    return rows[0] if rows else {}
