"""The warehouse of a Dagster run is opened once, by the first step that needs it, shared by the
run's steps (each with its own cursor) and closed when the run ends."""

import duckdb
from dagster import asset, materialize

from assets.common.resources import RunWarehouse, Warehouse


def test_a_run_opens_the_warehouse_once_and_closes_it_at_the_end(tmp_path, monkeypatch):
    opened = []
    original = Warehouse._open_with_retry

    def counting(self, read_only):
        opened.append(read_only)
        return original(self, read_only)

    monkeypatch.setattr(Warehouse, "_open_with_retry", counting)

    @asset
    def first(warehouse: Warehouse) -> None:
        with warehouse.connect() as conn:
            conn.execute("CREATE TEMP TABLE scratch AS SELECT 1 AS x")  # the step's own
            conn.execute("CREATE TABLE analytics.numbers AS SELECT 1 AS n")

    @asset(deps=[first])
    def second(warehouse: Warehouse) -> None:
        with warehouse.connect() as conn:
            assert conn.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'scratch'"
                                ).fetchall() == [(0,)]
            conn.execute("INSERT INTO analytics.numbers VALUES (2)")

    path = tmp_path / "warehouse.duckdb"
    assert materialize([first, second], resources={"warehouse": RunWarehouse(path=str(path))}).success
    assert opened == [False]  # one open for the whole run
    with duckdb.connect(str(path), read_only=True) as conn:  # closed: another reader may open it
        assert conn.execute("SELECT sum(n) FROM analytics.numbers").fetchall() == [(3,)]

    opened.clear()
    plain = Warehouse(path=str(tmp_path / "w2.duckdb"))
    assert materialize([first, second], resources={"warehouse": plain}).success
    assert opened == [False, False]  # the plain warehouse opens the file at every step


def test_held_open_shares_one_open_file_for_a_block_and_closes_it(tmp_path, monkeypatch):
    opened = []
    original = Warehouse._open_with_retry
    monkeypatch.setattr(Warehouse, "_open_with_retry",
                        lambda self, read_only: opened.append(read_only) or original(self, read_only))
    path = tmp_path / "warehouse.duckdb"
    warehouse = RunWarehouse(path=str(path))
    with warehouse.held_open():
        with warehouse.connect() as conn:
            conn.execute("CREATE TABLE analytics.numbers AS SELECT 1 AS n")  # the schemas exist
        with warehouse.connect() as conn:
            conn.execute("INSERT INTO analytics.numbers VALUES (2)")
    assert opened == [False]
    with duckdb.connect(str(path), read_only=True) as conn:  # closed at the end of the block
        assert conn.execute("SELECT sum(n) FROM analytics.numbers").fetchall() == [(3,)]
    with warehouse.connect() as conn:  # after the block: a plain open again, schemas still ensured
        assert conn.execute("SELECT count(*) FROM analytics.numbers").fetchall() == [(2,)]
    assert opened == [False, False]
