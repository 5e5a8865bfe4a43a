"""The read-only snapshot (assets/operations/logic.py): published by swapping a finished copy in, so
a reader never holds up a run and never sees a half-built table."""

from __future__ import annotations

from pathlib import Path

import duckdb

from assets.operations.logic import publish_snapshot, snapshot_path


def test_a_reader_keeps_its_snapshot_while_the_next_one_is_published(tmp_path: Path) -> None:
    warehouse = tmp_path / "warehouse.duckdb"
    assert snapshot_path(warehouse) == tmp_path / "warehouse.readonly.duckdb"
    with duckdb.connect(str(warehouse)) as run:
        run.execute("CREATE SCHEMA analytics; CREATE TABLE analytics.numbers AS SELECT 1 AS n")
        publish_snapshot(run, warehouse)
        reader = duckdb.connect(str(snapshot_path(warehouse)), read_only=True)  # a BI tool, left open
        run.execute("INSERT INTO analytics.numbers VALUES (2)")  # the next run: not held up by the reader
        publish_snapshot(run, warehouse)
    try:
        assert reader.execute("SELECT sum(n) FROM analytics.numbers").fetchall() == [(1,)]  # its own copy
    finally:
        reader.close()
    with duckdb.connect(str(snapshot_path(warehouse)), read_only=True) as fresh:
        assert fresh.execute("SELECT sum(n) FROM analytics.numbers").fetchall() == [(3,)]
    assert not list(tmp_path.glob(".*.tmp"))  # no half-made copy left behind
