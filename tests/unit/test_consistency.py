"""The one place that decides whether an input table was built for the run's as-of date."""

from datetime import date

import duckdb

from assets.common.consistency import built_as_of, built_for, built_for_other_dates

AS_OF = date(2026, 6, 30)


def _warehouse() -> duckdb.DuckDBPyConnection:
    conn = duckdb.connect()
    conn.execute("CREATE SCHEMA analytics")
    conn.execute("CREATE TABLE analytics.current AS SELECT 'c1' AS customer_id, DATE '2026-06-30' AS as_of")
    conn.execute("CREATE TABLE analytics.older AS SELECT 'c1' AS customer_id, DATE '2026-03-31' AS as_of")
    conn.execute("CREATE TABLE analytics.mixed AS SELECT * FROM analytics.current UNION ALL "
                 "SELECT * FROM analytics.older")
    conn.execute("CREATE TABLE analytics.empty (customer_id VARCHAR, as_of DATE)")
    conn.execute("CREATE TABLE analytics.undated AS SELECT 'c1' AS customer_id")
    return conn


def test_the_date_a_table_was_built_for():
    conn = _warehouse()
    assert built_as_of(conn, "analytics.older") == date(2026, 3, 31)
    assert built_as_of(conn, "analytics.empty") is None
    assert built_as_of(conn, "analytics.undated") is None
    assert built_as_of(conn, "analytics.missing") is None


def test_an_input_is_usable_only_when_every_row_is_for_the_date_and_the_columns_are_there():
    conn = _warehouse()
    assert built_for(conn, "analytics.current", AS_OF, needs=("customer_id",))
    assert not built_for(conn, "analytics.mixed", AS_OF)  # one row from March is enough to refuse it
    assert not built_for(conn, "analytics.current", AS_OF, needs=("clv_12m",))
    assert not built_for(conn, "analytics.missing", AS_OF)
    assert built_for(conn, "analytics.undated", AS_OF)  # a table without dates is never outdated


def test_outdated_inputs_are_named_with_their_date():
    conn = _warehouse()
    tables = ["analytics.current", "analytics.older", "analytics.empty", "analytics.undated"]
    assert built_for_other_dates(conn, tables, AS_OF) == ["analytics.older is built for 2026-03-31"]
