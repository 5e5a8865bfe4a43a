"""Whether a table agrees with the run that reads it: the one place that decides if an input was
built for this run's as-of date.

An analyst may rematerialise one asset with another as-of date than its inputs were built for. Every
table that depends on the date carries an ``as_of`` column; an asset reading such an input asks here
whether it may use it (or must compute what it needs itself, or refuse), and a check asks here which
date the table it checks was built for.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

import duckdb

from assets.common.tables import column_names


def built_as_of(conn: duckdb.DuckDBPyConnection, table: str) -> date | None:
    """The as-of date ``table`` was built for: None when it is missing, empty or has no as_of column."""
    if "as_of" not in column_names(conn, table):
        return None
    return conn.execute(f"SELECT max(as_of) FROM {table}").fetchall()[0][0]


def built_for(conn: duckdb.DuckDBPyConnection, table: str, as_of: date, needs: Iterable[str] = ()) -> bool:
    """True when ``table`` exists with the columns ``needs`` and every row (if it has an as_of column)
    was computed for ``as_of``."""
    columns = column_names(conn, table)
    if not columns or not set(needs) <= columns:
        return False
    if "as_of" not in columns:
        return True
    other = conn.execute(f"SELECT count(*) FROM {table} WHERE as_of IS DISTINCT FROM $as_of",
                         {"as_of": as_of}).fetchall()[0][0]
    return other == 0


def built_for_other_dates(conn: duckdb.DuckDBPyConnection, tables: Iterable[str], as_of: date) -> list[str]:
    """The input tables built for another as-of date than ``as_of``, each as "<table> is built for
    <date>" (empty tables are not outdated)."""
    outdated = []
    for table in tables:
        built = built_as_of(conn, table)
        if built is not None and built != as_of:
            outdated.append(f"{table} is built for {built.isoformat()}")
    return outdated
