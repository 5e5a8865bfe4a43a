"""Jobs and schedules."""

from __future__ import annotations

from dagster import AssetSelection, ScheduleDefinition, define_asset_job, in_process_executor

# One process runs every step: DuckDB allows a single writer per file, and on a 2-core machine the
# in-process executor is faster than spawning a Python process per step.
materialize_everything = define_asset_job(
    name="materialize_everything",
    selection=AssetSelection.all(),
    executor_def=in_process_executor,
    description="Load new exports and rebuild every table and report.",
)

nightly_schedule = ScheduleDefinition(
    name="nightly_refresh",
    job=materialize_everything,
    cron_schedule="0 2 * * *",
    execution_timezone="Asia/Shanghai",
    description="Every night at 02:00 China time: load new exports, rebuild tables and reports.",
)
