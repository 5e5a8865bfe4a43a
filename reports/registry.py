"""Every report asset, in catalogue order, then the index that links them; and the status check of
each report (`<stem>_built_as_configured`, red when the report could not be generated)."""

from dagster import AssetKey

from checks.common.status import build_status_check
from reports.churn_watchlist.asset import churn_watchlist_report
from reports.common.catalog import REPORTS
from reports.data_quality.asset import data_quality_report
from reports.index.asset import reports_index
from reports.key_accounts.asset import key_accounts_report
from reports.management.asset import management_report

REPORT_ASSETS = [
    management_report,
    key_accounts_report,
    churn_watchlist_report,
    data_quality_report,
    reports_index,
]
REPORT_STATUS_CHECKS = [build_status_check(AssetKey(["reports", entry.stem])) for entry in REPORTS]
