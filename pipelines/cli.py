"""Command line: ``python -m pipelines run`` materialises every asset and prints where the reports are."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from dagster import DagsterInstance

from assets.common.settings import PathSettings
from pipelines.definitions import build_definitions


def run_everything(paths: PathSettings) -> bool:
    """Materialise every asset (and run every check) once; True when the run succeeded."""
    definitions = build_definitions(paths)
    job = definitions.resolve_job_def("materialize_everything")
    instance = DagsterInstance.get() if os.environ.get("DAGSTER_HOME") else DagsterInstance.ephemeral()
    result = job.execute_in_process(instance=instance, raise_on_error=False)
    return result.success


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipelines", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("run", help="load the inbox, rebuild every table and report")
    args = parser.parse_args(argv)

    if args.command == "run":
        paths = PathSettings.from_environment()
        if not run_everything(paths):
            print("The run failed; see the log above.", file=sys.stderr)
            return 1
        index = Path(paths.reports_dir).resolve() / "latest" / "index.html"
        print(f"Warehouse: {Path(paths.warehouse_path).resolve()}")
        print(f"Reports:   {index}")
        return 0
    return 2
