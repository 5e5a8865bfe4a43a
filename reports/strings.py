"""Report wording in Chinese and English."""

from __future__ import annotations

LANGUAGES = ("zh", "en")

STRINGS: dict[str, dict[str, str]] = {
    "zh": {
        "html_lang": "zh-CN",
        "index_title": "客户分析报告",
        "as_of": "数据截至",
        "generated_at": "生成时间",
        "reports": "报告",
        "no_reports": "暂无报告。",
        "warehouse": "数据仓库中的表",
        "layer": "层",
        "table": "表",
        "rows": "行数",
        "other_language": "English",
    },
    "en": {
        "html_lang": "en",
        "index_title": "Customer analytics reports",
        "as_of": "Data as of",
        "generated_at": "Generated at",
        "reports": "Reports",
        "no_reports": "No reports yet.",
        "warehouse": "Tables in the warehouse",
        "layer": "Layer",
        "table": "Table",
        "rows": "Rows",
        "other_language": "中文",
    },
}
