"""Status checks on the assets that degrade instead of stopping the run (predictions, reports).

Each such asset records its outcome in ``quality.asset_status`` (see ``assets/common/status.py``). Its
``<name>_built_as_configured`` check reads that row: it passes when the asset was built as asked,
fails as a warning when a fallback was shipped (the message says which and why), and fails as an
error when the computation raised (the message names the cause). None of them blocks anything: the
point of degrading is that the other assets still run.
"""

from dagster import AssetCheckResult, AssetChecksDefinition, AssetCheckSeverity, AssetKey, asset_check

from assets.common.resources import Warehouse
from assets.common.status import DEGRADED, FAILED, read_status


def build_status_check(asset_key: AssetKey) -> AssetChecksDefinition:
    """The check reading the recorded status of the asset ``asset_key``."""
    asset_name = "/".join(asset_key.path)

    @asset_check(
        asset=asset_key,
        name=f"{asset_key.path[-1]}_built_as_configured",
        description=f"`{asset_name}` was built as configured. A warning means a fallback was shipped (too "
        "little history, only one kind of outcome, ...); an error means its computation failed. Either way "
        "the other assets still ran, and the reports show the sentence recorded in quality.asset_status.",
    )
    def _check(warehouse: Warehouse) -> AssetCheckResult:
        with warehouse.connect() as conn:
            status = read_status(conn, asset_name)
        if status is None:
            return AssetCheckResult(passed=False, severity=AssetCheckSeverity.WARN,
                                    description="no status was recorded for this asset")
        severity = AssetCheckSeverity.ERROR if status.status == FAILED else AssetCheckSeverity.WARN
        return AssetCheckResult(
            passed=status.status not in (DEGRADED, FAILED),
            severity=severity,
            description=status.message_en,
            metadata={"status": status.status, "message_zh": status.message_zh,
                      **({"detail": status.detail} if status.detail else {})},
        )

    return _check


# The predictions that degrade instead of stopping the run.
PREDICTION_STATUS_CHECKS = [build_status_check(AssetKey(["analytics", name]))
                            for name in ("churn_model_metrics", "churn_scores", "clv")]
