"""What the table reports share (key-account table, churn watchlist, data-quality report): sort
keys for the in-page sort script, the wording of codes (grades, risk
tiers, early-warning flags, quality dimensions, sources, export kinds) in Chinese and English, and
publishing a report's pages as a Dagster materialisation.

The sort / filter script is the template partial ``templates/_sortable_table.js.j2`` (no data in
it). A table takes part when it has ``data-sortable``; its toolbar has ``data-table-toolbar="<table
id>"`` and holds the filter controls:

- ``<input data-filter="text" data-cols="0,2,3">``: rows whose listed cells contain the text
  (case ignored);
- ``<select data-filter="equals" data-col="5">``: rows whose cell value equals the chosen option
  (an empty option value shows every row);
- ``<input type="checkbox" data-filter="equals" data-col="15" data-value="1">``: when ticked, rows
  whose cell value is ``data-value``;
and anywhere on the page ``<p data-counter="<table id>" data-template="showing {shown} of {total}">``
is the row counter (outside the toolbar, so it prints).

A cell's value is its ``data-value`` attribute, else its text; a cell sorts by its ``data-sort``
attribute (numbers as plain decimals, dates in ISO form, empty = missing, always last), else its
text. Header cells get ``class="sortable"`` and ``data-type="number"`` or ``"text"``. The script only
reorders rows and toggles their display: it never writes HTML, so data stays as Jinja escaped it.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from assets.common.vocabulary import GRADE_NAMES, RISK_TIER_SHORT_NAMES, RISK_TIERS
from reports.common.page import page_context
from reports.common.rendering import template_environment
from reports.common.wording import LANGUAGES

# --- values for the page -------------------------------------------------------------------------


def as_float(value: Any) -> float | None:
    """A number (Decimal, int, float) as a float; missing or NaN → None."""
    if value is None:
        return None
    number = float(value)
    return None if math.isnan(number) else number


def sort_number(value: Any) -> str:
    """``data-sort`` of a numeric cell: a plain decimal the script parses; empty when missing."""
    number = as_float(value if not isinstance(value, bool) else int(value))
    if number is None:
        return ""
    text = f"{round(number, 6):.6f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def sort_date(value: date | datetime | None) -> str:
    """``data-sort`` of a date cell: ISO form (sorts as text); empty when missing."""
    if value is None:
        return ""
    return value.isoformat(sep=" ") if isinstance(value, datetime) else value.isoformat()


def share(part: Any, whole: Any) -> float | None:
    """part ÷ whole, None when the whole is 0 or missing."""
    p, w = as_float(part), as_float(whole)
    if p is None or not w:
        return None
    return p / w


def decimal_to_float(row: dict) -> dict:
    """The same row with Decimal values as floats (the Formatter and Plotly take floats)."""
    return {k: float(v) if isinstance(v, Decimal) else v for k, v in row.items()}


# --- wording of codes ----------------------------------------------------------------------------

GRADE_LABELS = GRADE_NAMES
TIERS = RISK_TIERS
TIER_LABELS = {
    "zh": {**RISK_TIER_SHORT_NAMES["zh"], None: "未评分"},
    "en": {**RISK_TIER_SHORT_NAMES["en"], None: "Not scored"},
}
TIER_RANK = {"high": 3, "medium": 2, "low": 1}
FLAGS = ("interaction_drop", "spend_drop", "complaint_spike")
FLAG_LABELS = {
    "zh": {"interaction_drop": "互动骤减", "spend_drop": "消费下滑", "complaint_spike": "投诉激增"},
    "en": {"interaction_drop": "Fewer contacts", "spend_drop": "Spend drop", "complaint_spike": "Complaint spike"},
}
DIMENSIONS = ("completeness", "validity", "uniqueness", "consistency", "timeliness", "overall")
DIMENSION_LABELS = {
    "zh": {"completeness": "完整性", "validity": "有效性", "uniqueness": "唯一性", "consistency": "一致性",
           "timeliness": "及时性", "overall": "综合"},
    "en": {"completeness": "Completeness", "validity": "Validity", "uniqueness": "Uniqueness",
           "consistency": "Consistency", "timeliness": "Timeliness", "overall": "Overall"},
}
SOURCES = ("sales", "crm", "service", "email", "overall")
SOURCE_LABELS = {
    "zh": {"sales": "销售（ERP）", "crm": "CRM", "service": "客服", "email": "邮件营销", "overall": "总体"},
    "en": {"sales": "Sales (ERP)", "crm": "CRM", "service": "Service desk", "email": "E-mail marketing",
           "overall": "Overall"},
}
KIND_LABELS = {
    "zh": {"sales_order_lines": "销售明细", "crm_accounts": "CRM 客户", "crm_interactions": "CRM 跟进记录",
           "crm_opportunities": "CRM 商机", "service_tickets": "客服工单", "service_nps": "NPS 调查",
           "email_campaigns": "邮件活动", "email_events": "邮件事件"},
    "en": {"sales_order_lines": "Sales order lines", "crm_accounts": "CRM accounts",
           "crm_interactions": "CRM follow-ups", "crm_opportunities": "CRM opportunities",
           "service_tickets": "Service tickets", "service_nps": "NPS answers", "email_campaigns": "E-mail campaigns",
           "email_events": "E-mail events"},
}
SEVERITY_LABELS = {
    "zh": {"ERROR": "阻断（ERROR）", "WARN": "提示（WARN）"},
    "en": {"ERROR": "Blocking (ERROR)", "WARN": "Advisory (WARN)"},
}
RULE_LABELS = {
    "zh": {"required value missing": "必填值缺失", "unparseable date": "日期无法识别", "not a number": "不是数字",
           "invalid e-mail address": "邮箱地址无效", "out of range 0-10": "超出范围 0-10",
           "out of range 1-5": "超出范围 1-5"},
    "en": {},
}
LOAD_STATUS_LABELS = {
    "zh": {"loaded": "已加载", "duplicate_delivery": "重复交付"},
    "en": {"loaded": "Loaded", "duplicate_delivery": "Duplicate delivery"},
}


def label_of(labels: dict[str, dict], language: str, code: Any) -> str:
    """The label of ``code`` in ``language``; an unknown code is shown as it is (— when missing)."""
    found = labels[language].get(code)
    if found is not None:
        return found
    return "—" if code is None else str(code)


def rule_label(language: str, rule: str | None) -> str:
    """A quarantine rule in ``language``; the ingest's "malformed line: …" keeps its details."""
    if language == "zh" and rule and rule.startswith("malformed line"):
        return f"行格式错误（{rule}）"
    return label_of(RULE_LABELS, language, rule)


# --- thresholds ------------------------------------------------------------------------------------


# --- rendering and publishing --------------------------------------------------------------------


def render_pages(
    stem: str,
    template_name: str,
    as_of: date,
    generated_at: datetime,
    currency_symbol: str,
    context_for: Callable[[str], dict[str, Any]],
) -> dict[str, str]:
    """Render ``template_name`` once per language: the shared header (page_context) plus what
    ``context_for(language)`` returns."""
    template = template_environment().get_template(template_name)
    return {
        language: template.render(
            **page_context(stem, language, as_of, generated_at, currency_symbol), **context_for(language)
        )
        for language in LANGUAGES
    }

