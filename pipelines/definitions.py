"""The Dagster code location: assembles assets, checks, jobs, schedules and resources."""

from __future__ import annotations

from dagster import AssetKey, Definitions, in_process_executor

from assets.analytics import ANALYTICS_ASSETS
from assets.core.activity import ACTIVITY_ASSETS
from assets.core.assets import CORE_ASSETS
from assets.ingest.assets import RAW_ASSETS
from assets.quality.scorecard import QUALITY_ASSETS
from assets.staging.assets import STAGING_ASSETS
from checks.analytics_registry import ANALYTICS_CHECKS
from checks.ingest_checks import INGEST_CHECKS, SCHEMA_DRIFT_CHECKS
from checks.integrity_checks import INTEGRITY_CHECKS
from checks.reconciliation_checks import FILE_RECONCILIATION_CHECKS, RECONCILIATION_CHECKS
from checks.staging_checks import STAGING_CHECKS
from checks.status_checks import build_status_check
from pipelines.jobs import materialize_everything, nightly_schedule
from pipelines.resources import PipelineSettings, Warehouse
from pipelines.settings import PathSettings
from reports.registry import REPORT_ASSETS, REPORT_STATUS_CHECKS

ALL_ASSETS = [
    *RAW_ASSETS,
    *STAGING_ASSETS,
    *CORE_ASSETS,
    *ACTIVITY_ASSETS,
    *ANALYTICS_ASSETS,
    *QUALITY_ASSETS,
    *REPORT_ASSETS,
]
ALL_CHECKS = [
    *INGEST_CHECKS,
    *SCHEMA_DRIFT_CHECKS,
    *RECONCILIATION_CHECKS,
    *FILE_RECONCILIATION_CHECKS,
    *STAGING_CHECKS,
    *INTEGRITY_CHECKS,
    *ANALYTICS_CHECKS,
    *REPORT_STATUS_CHECKS,
    build_status_check(AssetKey(["analytics", "churn_model_metrics"])),
    build_status_check(AssetKey(["analytics", "churn_scores"])),
    build_status_check(AssetKey(["analytics", "clv"])),
]


def build_resources(paths: PathSettings) -> dict:
    """The resources for one set of paths (tests build their own with temporary folders)."""
    return {
        "warehouse": Warehouse(path=paths.warehouse_path),
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
    return Definitions(
        assets=ALL_ASSETS,
        asset_checks=ALL_CHECKS,
        jobs=[materialize_everything],
        schedules=[nightly_schedule],
        resources=build_resources(paths or PathSettings.from_environment()),
        executor=in_process_executor,
    )


defs = build_definitions()
