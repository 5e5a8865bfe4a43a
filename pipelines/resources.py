"""The two Dagster resources every asset uses: the DuckDB warehouse and the run settings."""


import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
from dagster import ConfigurableResource

from pipelines.settings import load_thresholds, parse_as_of

WAREHOUSE_SCHEMAS = ("raw", "staging", "core", "analytics", "quality")


class Warehouse(ConfigurableResource):
    """The DuckDB warehouse file. The only way assets reach DuckDB.

    DuckDB lets one process at a time open a file for writing. When another run holds the file,
    ``connect`` waits (up to ``lock_timeout_seconds``) instead of failing, so overlapping runs queue
    rather than crash.
    """

    path: str
    lock_timeout_seconds: float = 900.0
    memory_limit: str = ""
    threads: int = 0

    @contextmanager
    def connect(self, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        """Open the warehouse (creating it and its schemas if needed) and close it afterwards."""
        conn = self._open_with_retry(read_only)
        try:
            if self.memory_limit:
                conn.execute(f"SET memory_limit = '{self.memory_limit}'")
            if self.threads:
                conn.execute(f"SET threads = {int(self.threads)}")
            if not read_only:
                # one catalog query instead of five no-op CREATE statements on every connection
                present = {row[0] for row in conn.execute(
                    "SELECT schema_name FROM duckdb_schemas() WHERE database_name = current_database()").fetchall()}
                for schema in WAREHOUSE_SCHEMAS:
                    if schema not in present:
                        conn.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
            yield conn
        finally:
            conn.close()

    def _open_with_retry(self, read_only: bool) -> duckdb.DuckDBPyConnection:
        warehouse = Path(self.path)
        warehouse.parent.mkdir(parents=True, exist_ok=True)
        deadline = time.monotonic() + self.lock_timeout_seconds
        pause = 0.2
        while True:
            try:
                return duckdb.connect(str(warehouse), read_only=read_only)
            except duckdb.IOException as exc:
                if "lock" not in str(exc).lower() or time.monotonic() > deadline:
                    raise
                time.sleep(pause)
                pause = min(pause * 2, 5.0)


class PipelineSettings(ConfigurableResource):
    """Where the exports and reports live, the as-of date and the thresholds file.

    Defaults come from the CRM_* environment variables; an analyst can override any of them for one
    run in the Dagster launchpad (for example ``as_of: "2025-12-31"``).
    """

    inbox_dir: str
    reports_dir: str
    models_dir: str = ""
    as_of: str = ""
    settings_file: str = ""
    column_aliases_file: str = ""

    def as_of_date(self) -> date | None:
        """The configured analysis date, or None when the data should decide."""
        return parse_as_of(self.as_of)

    def thresholds(self) -> dict[str, Any]:
        """Business thresholds from the settings file."""
        return load_thresholds(self.settings_file or None)
