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
        "failed": "生成失败：",
        "not_generated": "本次运行没有生成此报告（其资产未运行，或未能写入页面）。",
        "warehouse_problem": "数据仓库无法读取，因此未列出其中的表：",
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
        "failed": "Failed:",
        "not_generated": "Not generated in this run (its asset did not run, or could not write its pages).",
        "warehouse_problem": "The warehouse could not be read, so its tables are not listed:",
        "warehouse": "Tables in the warehouse",
        "layer": "Layer",
        "table": "Table",
        "rows": "Rows",
        "other_language": "中文",
    },
}
