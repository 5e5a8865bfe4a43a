"""The Dagster code location: assembles assets, checks, jobs, schedules and resources."""

from __future__ import annotations

from dagster import Definitions, in_process_executor

import assets
import checks
import reports
from assets.common.packages import assets_in, checks_in
from assets.common.resources import PipelineSettings, RunWarehouse, Warehouse
from assets.common.settings import PathSettings
from pipelines.jobs import materialize_everything, nightly_schedule
from pipelines.sensors import inbox_sensor, run_outcome_sensors

# Every asset and check defined in the packages: adding a topic never means editing a list here.
ALL_ASSETS = assets_in(assets, reports)
ALL_CHECKS = checks_in(checks, reports)


def build_resources(paths: PathSettings, held_for_the_run: bool = True) -> dict:
    """The resources for one set of paths (tests build their own with temporary folders). The
    warehouse is held open for a whole run (RunWarehouse); ``held_for_the_run=False`` gives the plain
    Warehouse, for invoking an asset check directly outside a run."""
    warehouse = (RunWarehouse(path=paths.warehouse_path, run_lock_timeout_seconds=paths.run_lock_timeout_minutes * 60,
                              backups_kept=paths.backups_kept, backup_dir=paths.backup_dir,
                              models_dir=paths.resolved_models_dir, reports_dir=paths.reports_dir)
                 if held_for_the_run else Warehouse(path=paths.warehouse_path))
    return {
        "warehouse": warehouse,
        "settings": PipelineSettings(
            inbox_dir=paths.inbox_dir,
            reports_dir=paths.reports_dir,
            models_dir=paths.resolved_models_dir,
            as_of=paths.as_of,
            settings_file=paths.settings_file,
            column_aliases_file=paths.column_aliases_file,
        ),
    }


def build_definitions(paths: PathSettings | None = None) -> Definitions:
    """Everything Dagster needs, with paths from the CRM_* environment variables by default."""
    paths = paths or PathSettings.from_environment()
    return Definitions(
        assets=ALL_ASSETS,
        asset_checks=ALL_CHECKS,
        jobs=[materialize_everything],
        schedules=[nightly_schedule],
        sensors=[inbox_sensor(paths), *run_outcome_sensors(paths)],
        resources=build_resources(paths),
        executor=in_process_executor,
    )


defs = build_definitions()
