"""The inbox sensor: starts a run when new or changed exports have landed and finished arriving.

Off by default, like the nightly schedule: switch it on in the UI (**Automation → new_exports**)
and run the Dagster daemon (docs/operations.md). It looks every minute; the rules of what counts as
new, and of waiting for a burst of files to finish arriving, are in assets/ingest/inbox_watch.py.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from pathlib import Path

from dagster import (
    DagsterRunStatus,
    DefaultSensorStatus,
    RunRequest,
    RunStatusSensorContext,
    SensorDefinition,
    SensorEvaluationContext,
    SkipReason,
    run_status_sensor,
    sensor,
)

from assets.common.run_lock import current_holder
from assets.common.settings import PathSettings
from assets.ingest.inbox_watch import known_file_hashes, look_at_inbox
from pipelines.jobs import materialize_everything
from reports.common.run_status import record_run_outcome

# A file whose size or modification time changed within this many seconds is still arriving.
SETTLE_SECONDS = 60.0


def inbox_sensor(paths: PathSettings, settle_seconds: float = SETTLE_SECONDS) -> SensorDefinition:
    """The ``new_exports`` sensor for the inbox and warehouse of ``paths``."""

    @sensor(name="new_exports", job=materialize_everything, minimum_interval_seconds=60,
            default_status=DefaultSensorStatus.STOPPED,
            description="Starts materialize_everything when new or changed exports have landed in the inbox "
                        "(by content: a file already loaded never starts a run) and every file of the burst "
                        f"has stopped changing for {settle_seconds:.0f} s; one run per burst.")
    def new_exports(context: SensorEvaluationContext):
        if current_holder(paths.warehouse_path) is not None:
            return SkipReason("A run is using the warehouse; the inbox is looked at again after it.")
        memory = json.loads(context.cursor) if context.cursor else {}
        look = look_at_inbox(Path(paths.inbox_dir), memory, lambda: known_file_hashes(paths.warehouse_path),
                             time.time_ns(), settle_seconds)
        if look.waiting_for:
            shown = ", ".join(look.waiting_for[:5]) + (" …" if len(look.waiting_for) > 5 else "")
            return SkipReason(f"Waiting for {len(look.waiting_for)} file(s) still arriving: {shown}")
        context.update_cursor(json.dumps(look.memory, sort_keys=True))
        if not look.new_files:
            return SkipReason("No new or changed export in the inbox.")
        shown = ", ".join(look.new_files[:10]) + (" …" if len(look.new_files) > 10 else "")
        return RunRequest(run_key=look.run_key, tags={"crm/new_exports": shown[:200]})

    return new_exports


def run_outcome_sensors(paths: PathSettings) -> list[SensorDefinition]:
    """For runs the daemon starts (UI, schedule, sensor): write how each ended beside the reports
    (reports/common/run_status.py), as ``python -m pipelines run`` does for its own runs. On by
    default: they start nothing."""

    def record(context: RunStatusSensorContext, succeeded: bool) -> None:
        failed = [] if succeeded else sorted({
            entry.step_key for entry in context.instance.all_logs(context.dagster_run.run_id)
            if entry.dagster_event is not None and entry.dagster_event.is_step_failure and entry.step_key})
        record_run_outcome(Path(paths.reports_dir), context.dagster_run.run_id, succeeded, failed,
                           datetime.now(UTC), f"the run {context.dagster_run.run_id} in the Dagster UI (Runs)")

    @run_status_sensor(run_status=DagsterRunStatus.SUCCESS, name="record_run_success",
                       default_status=DefaultSensorStatus.RUNNING, monitor_all_code_locations=False,
                       description="Writes last-run.json and LAST-RUN.txt beside the reports when a run succeeds.")
    def record_run_success(context: RunStatusSensorContext) -> None:
        record(context, True)

    @run_status_sensor(run_status=DagsterRunStatus.FAILURE, name="record_run_failure",
                       default_status=DefaultSensorStatus.RUNNING, monitor_all_code_locations=False,
                       description="Writes last-run.json and LAST-RUN.txt beside the reports when a run fails, and "
                                   "marks the published index pages: their reports are the last successful run's.")
    def record_run_failure(context: RunStatusSensorContext) -> None:
        record(context, False)

    return [record_run_success, record_run_failure]
