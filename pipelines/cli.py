"""Command line: ``python -m pipelines run`` materialises every asset and prints where the reports
are; ``backups`` lists the backups taken before each run, ``restore <backup>`` puts one back."""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from datetime import UTC, date, datetime
from pathlib import Path

from dagster import DagsterInstance

from assets.common.backups import default_backup_dir, list_backups, restore_backup, saved_report_set
from assets.common.run_lock import RunLock
from assets.common.settings import PathSettings
from pipelines.definitions import build_definitions
from reports.common.publish import RUNS, publish_set
from reports.common.run_status import record_run_outcome


def run_everything(paths: PathSettings) -> bool:
    """Materialise every asset (and run every check) once; True when the run succeeded."""
    definitions = build_definitions(paths)
    job = definitions.resolve_job_def("materialize_everything")
    instance = DagsterInstance.get() if os.environ.get("DAGSTER_HOME") else DagsterInstance.ephemeral()
    result = job.execute_in_process(instance=instance, raise_on_error=False)
    failed = [event.step_key for event in result.all_events if event.is_step_failure and event.step_key]
    record_run_outcome(Path(paths.reports_dir), result.run_id, result.success, failed, datetime.now(UTC),
                       "the log printed above (run python -m pipelines run again to see it)")
    return result.success


def backup_root(paths: PathSettings) -> Path:
    return Path(paths.backup_dir) if paths.backup_dir else default_backup_dir(paths.warehouse_path)


def restore(paths: PathSettings, backup: Path) -> str:
    """Put ``backup`` back: the warehouse, the saved models and the report set latest/ showed,
    under the run lock (it waits for a run in progress); return what was restored, in words."""
    lock = RunLock(paths.warehouse_path, paths.run_lock_timeout_minutes * 60, run_id=f"restore {backup.name}")
    lock.acquire(lambda message: print(message, file=sys.stderr))
    try:
        manifest = restore_backup(backup, paths.warehouse_path, paths.resolved_models_dir)
        saved = saved_report_set(backup)
        if saved is not None:
            pages, as_of = saved
            folder = Path(paths.reports_dir) / RUNS / f"restored-{backup.name}"
            shutil.rmtree(folder, ignore_errors=True)
            shutil.copytree(pages, folder)
            publish_set(Path(paths.reports_dir), date.fromisoformat(as_of) if as_of else None, folder,
                        keep_runs=1_000_000)
    finally:
        lock.release()
    return f"Restored the warehouse, models and reports of {backup.name} (taken {manifest['taken_at']})."


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipelines", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("run", help="load the inbox, rebuild every table and report")
    commands.add_parser("backups", help="list the backups taken before each run, newest first")
    restoring = commands.add_parser("restore", help="put a backup back (warehouse, models, latest reports)")
    restoring.add_argument("backup", help="a backup folder, its name, or 'latest' for the newest")
    args = parser.parse_args(argv)
    paths = PathSettings.from_environment()

    if args.command == "run":
        if not run_everything(paths):
            print("The run failed; see the log above.", file=sys.stderr)
            return 1
        index = Path(paths.reports_dir).resolve() / "latest" / "index.html"
        print(f"Warehouse: {Path(paths.warehouse_path).resolve()}")
        print(f"Reports:   {index}")
        return 0
    backups = list_backups(backup_root(paths))
    if args.command == "backups":
        for backup in backups:
            print(backup)
        if not backups:
            print(f"No backups in {backup_root(paths)}.", file=sys.stderr)
        return 0
    if args.command == "restore":
        named = Path(args.backup)
        chosen = (backups[0] if backups else None) if args.backup == "latest" else (
            named if named.is_dir() else backup_root(paths) / args.backup)
        if chosen is None or not chosen.is_dir():
            print(f"No backup {args.backup!r} in {backup_root(paths)} (python -m pipelines backups lists them).",
                  file=sys.stderr)
            return 2
        print(restore(paths, chosen))
        return 0
    return 2
