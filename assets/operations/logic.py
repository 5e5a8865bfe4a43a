"""The read-only snapshot of the warehouse: a copy for BI tools and notebooks, so that no reader
ever holds the file a run writes.

After a run, the warehouse is checkpointed (everything in the write-ahead log goes into the file)
and copied to ``<warehouse>.snapshot.tmp``, which is then renamed over the snapshot,
``<warehouse stem>.readonly.duckdb`` beside the warehouse. A reader that has the old snapshot open
keeps reading it (on Linux and macOS the rename leaves its open file alone); the next connection
sees the new one. The run never waits for a reader, and a reader never sees a half-built table.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import duckdb


def snapshot_path(warehouse_path: str | Path) -> Path:
    """Where the read-only snapshot of a warehouse lives: beside it, ``<stem>.readonly.duckdb``."""
    warehouse = Path(warehouse_path)
    return warehouse.with_name(f"{warehouse.stem}.readonly{warehouse.suffix or '.duckdb'}")


def publish_snapshot(conn: duckdb.DuckDBPyConnection, warehouse_path: str | Path) -> Path:
    """Checkpoint the warehouse through ``conn`` (a connection of the run that holds it), copy the
    file and swap the copy in as the snapshot in one rename; return the snapshot's path."""
    conn.execute("CHECKPOINT")
    target = snapshot_path(warehouse_path)
    temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    shutil.copyfile(warehouse_path, temporary)
    os.replace(temporary, target)
    return target
