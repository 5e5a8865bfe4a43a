"""Every report asset, in catalogue order, then the index that links them."""

from reports.index_page import reports_index

REPORT_ASSETS = [
    reports_index,
]
