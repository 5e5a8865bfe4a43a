"""The two Dagster resources every asset uses: the DuckDB warehouse and the run settings, and the
run context (the as-of date and the settings of one run, resolved once)."""


import copy
import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
from dagster import ConfigurableResource, InitResourceContext
from pydantic import PrivateAttr

from assets.common.as_of import resolve_as_of
from assets.common.backups import default_backup_dir, make_backup
from assets.common.run_lock import RunLock
from assets.common.settings import load_thresholds, parse_as_of
from assets.common.sql import SqlFolder

WAREHOUSE_SCHEMAS = ("raw", "staging", "core", "analytics", "quality")
SQL = SqlFolder(__file__)


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

    # Set by RunWarehouse for the length of a Dagster run (see there).
    _hold_for_run: bool = PrivateAttr(default=False)
    _run_connection: duckdb.DuckDBPyConnection | None = PrivateAttr(default=None)

    @contextmanager
    def connect(self, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        """A connection to the warehouse (creating it and its schemas if needed), closed afterwards.
        In a run it is a cursor of the run's open warehouse (temporary tables and macros stay the
        step's own); outside a run the file is opened and closed."""
        first_of_run = False
        if self._hold_for_run:
            if self._run_connection is None:
                self._run_connection = self._open_with_retry(False)
                first_of_run = True
            conn = self._run_connection.cursor()
            read_only = False
        else:
            conn = self._open_with_retry(read_only)
        try:
            if self.memory_limit:
                conn.execute("SET memory_limit = $memory_limit", {"memory_limit": self.memory_limit})
            if self.threads:
                conn.execute("SET threads = $threads", {"threads": int(self.threads)})
            # the schemas are made once per open file: a run's steps share the file it opened
            if not read_only and (first_of_run or not self._hold_for_run):
                # one catalog query instead of five no-op CREATE statements on every connection
                present = {row[0] for row in conn.execute(
                    "SELECT schema_name FROM duckdb_schemas() WHERE database_name = current_database()").fetchall()}
                missing = [schema for schema in WAREHOUSE_SCHEMAS if schema not in present]
                if missing:
                    SQL.run(conn, "schemas", {"schemas": missing})
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


class RunWarehouse(Warehouse):
    """The warehouse as a Dagster run uses it: held by this run alone from its start to its end
    (another run, from the command line, the UI, the schedule or the sensor, waits for it: see
    run_lock.py), opened by the first step that needs it and kept open to the end of the run, each
    step getting its own cursor (temporary tables and macros stay the step's own). Opening and
    closing the file at every step cost 30-50 ms each, about 145 times a run.

    Dagster closes it at the end of the run, which makes it a context-manager resource: a check
    invoked directly (outside a run, in a notebook or test) takes the plain ``Warehouse``."""

    # How long a run waits for another run to finish with the warehouse (CRM_RUN_LOCK_TIMEOUT).
    run_lock_timeout_seconds: float = 4 * 3600.0
    # A backup before each run (backups.py): how many to keep (0: none), where, and the models and
    # reports folders it covers besides the warehouse.
    backups_kept: int = 0
    backup_dir: str = ""
    models_dir: str = ""
    reports_dir: str = ""

    _run_lock: RunLock | None = PrivateAttr(default=None)

    def setup_for_execution(self, context: InitResourceContext) -> None:
        log = context.log or logging.getLogger(__name__)
        run = getattr(context, "run", None)
        run_id = run.run_id if run is not None else ""
        self._take_run_lock(run_id, log.warning)
        try:
            backup = make_backup(self.path, self.models_dir, self.reports_dir,
                                 self.backup_dir or default_backup_dir(self.path), self.backups_kept, run_id)
        except Exception:
            self.teardown_after_execution(context)
            raise
        if backup is not None:
            log.info(f"Backup of the warehouse, models and latest reports before this run: {backup} "
                     f"(restore with: python -m pipelines restore {backup})")

    def _take_run_lock(self, run_id: str, say: Callable[[str], None]) -> None:
        lock = RunLock(self.path, self.run_lock_timeout_seconds, run_id)
        lock.acquire(say)
        self._run_lock = lock
        self._hold_for_run = True

    def teardown_after_execution(self, context: InitResourceContext | None) -> None:
        try:
            if self._run_connection is not None:
                self._run_connection.close()
                self._run_connection = None
        finally:
            self._hold_for_run = False
            if self._run_lock is not None:
                self._run_lock.release()
                self._run_lock = None

    @contextmanager
    def held_open(self) -> Iterator["RunWarehouse"]:
        """The warehouse held open for a block of code as a Dagster run holds it, for asset
        functions invoked directly (tests, notebooks); closed at the end of the block."""
        self._take_run_lock("direct", logging.getLogger(__name__).warning)
        try:
            yield self
        finally:
            self.teardown_after_execution(None)



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

    # What this run resolved (Dagster gives every run its own copy of the resource, shared by the
    # run's steps: the in-process executor runs them all in one process).
    _rules: dict[str, Any] | None = PrivateAttr(default=None)
    _as_of: tuple[int | None, date] | None = PrivateAttr(default=None)  # (staged sales' table oid, date)

    def thresholds(self) -> dict[str, Any]:
        """Business thresholds read from the settings file now (``rules()`` is the run's copy)."""
        return load_thresholds(self.settings_file or None)

    def rules(self) -> dict[str, Any]:
        """The run's business rules: the shipped settings with the settings file over them, read and
        validated once per run (unknown keys rejected), so every step of a run uses the same rules
        even if the file is edited while it runs. Each caller gets its own copy."""
        if self._rules is None:
            self._rules = self.thresholds()
        return copy.deepcopy(self._rules)

    def run_as_of(self, conn: duckdb.DuckDBPyConnection) -> date:
        """The run's as-of date: the configured one, else the newest order date of the staged sales
        (not after today). Resolved once per run and per build of ``staging.sales_order_lines``: a
        step running before this run has staged the sales does not fix the date for the steps
        after it."""
        configured = self.as_of_date()
        if configured is not None:
            return configured
        staged = conn.execute(
            "SELECT table_oid FROM duckdb_tables() WHERE database_name = current_database() "
            "AND schema_name = 'staging' AND table_name = 'sales_order_lines'").fetchall()
        version = staged[0][0] if staged else None
        if self._as_of is None or self._as_of[0] != version or version is None:
            self._as_of = (version, resolve_as_of(conn, None))
        return self._as_of[1]

    def run_context(self, conn: duckdb.DuckDBPyConnection) -> "RunContext":
        """The as-of date and the business rules of this run, together."""
        return RunContext(as_of=self.run_as_of(conn), rules=self.rules())


@dataclass(frozen=True)
class RunContext:
    """What one run analyses: the as-of date every time-relative figure is computed for, and the
    business rules (the ``settings.toml`` sections) it applies."""

    as_of: date
    rules: dict[str, Any]
