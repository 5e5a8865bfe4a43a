"""The reports the pipeline publishes: file stem and title per language. The index lists them in
this order; each report asset writes ``<stem>.zh.html``, ``<stem>.en.html`` and ``<stem>.html``
(the default language's copy)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ReportEntry:
    stem: str
    title_zh: str
    title_en: str

    def title(self, language: str) -> str:
        return self.title_zh if language == "zh" else self.title_en


REPORTS: tuple[ReportEntry, ...] = (
    ReportEntry("management", "客户管理汇报", "Customer management report"),
    ReportEntry("key_accounts", "重点客户管理表", "Key-account management table"),
    ReportEntry("churn_watchlist", "流失预警名单", "Churn watchlist"),
    ReportEntry("data_quality", "数据质量报告", "Data-quality report"),
)
REPORT_BY_STEM = {r.stem: r for r in REPORTS}
