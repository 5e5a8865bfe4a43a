"""Key-account management table (重点客户管理表): the VIP and A accounts with their archive fields,
churn risk and follow-up status, sortable and filterable in the page, printable on A4 landscape."""

from datetime import date, datetime
from typing import Any

import duckdb
from dagster import AssetExecutionContext, AssetKey, MaterializeResult

from assets.common.resources import PipelineSettings, Warehouse
from assets.common.sql import SqlFolder
from assets.common.tables import column_names, table_exists
from assets.common.vocabulary import KEY_GRADES
from reports.common.outcome import build_report, report_asset
from reports.common.prediction_status import CHURN_SCORES as CHURN_STATUS
from reports.common.prediction_status import CLV as CLV_STATUS
from reports.common.prediction_status import is_failed, notices, prediction_statuses
from reports.common.queries import query_dicts, query_one
from reports.common.settings import ReportSettings, report_settings
from reports.common.table_reports import (
    GRADE_LABELS,
    TIER_LABELS,
    TIER_RANK,
    TIERS,
    decimal_to_float,
    render_pages,
    share,
    sort_date,
    sort_number,
)

SQL = SqlFolder(__file__)
STEM = "key_accounts"
KEY_ACCOUNTS = "analytics.key_accounts"
CHURN_SCORES = "analytics.churn_scores"

STRINGS = {
    "zh": {
        "vip_count": "VIP 客户", "a_count": "A 类客户", "revenue_share": "VIP + A 占全部已分级客户近 12 个月收入",
        "overdue": "跟进逾期", "at_risk": "高流失风险", "value_at_risk": "面临流失的价值",
        "of_accounts": "共 {n} 个重点客户",
        "search": "搜索", "search_placeholder": "公司、负责人或行业", "grade": "等级", "owner": "负责人",
        "risk_tier": "流失风险", "all": "全部", "unassigned": "未分配", "overdue_only": "仅看跟进逾期",
        "counter": "显示 {shown} / {total} 个客户",
        "intro": "VIP 与 A 类重点客户的档案（来自 analytics.key_accounts），按等级和评分排序。点击表头可排序，"
                 "工具栏可筛选；打印时按当前筛选结果输出。联系方式已脱敏，完整信息请在 CRM 中查看。",
        "print_note": "打印内容为屏幕上当前筛选和排序的结果（需要全部打印时先点“显示全部”）。",
        "show_more": "显示更多",
        "show_all": "显示全部",
        "capped": "表格仅列出按等级和评分排名前 {shown} 的客户（VIP 与 A 类共 {total} 个，上限见 settings.toml "
                  "[reports] key_accounts_max_rows）；完整名单见数据仓库表 analytics.key_accounts。",
        "no_data": "暂无重点客户数据：分级需要销售数据（analytics.key_accounts 为空）。",
        "col_company": "公司", "col_contact": "联系人", "col_owner": "负责人", "col_industry": "行业",
        "col_size": "规模", "col_grade": "等级", "col_score": "评分", "col_revenue": "近 12 月收入",
        "col_orders": "近 12 月订单", "col_predicted": "预测 12 月价值", "col_last_order": "最近下单",
        "col_last_interaction": "最近互动", "col_complaints": "近 12 月投诉", "col_opportunity": "在谈商机金额",
        "col_follow_up": "下次跟进", "col_overdue": "跟进逾期", "col_tier": "流失风险",
        "col_value_at_risk": "面临流失价值",
        "yes_overdue": "逾期", "no": "否", "colon": "：",
        "definitions": "口径说明",
        "definition_text": "等级与评分：按购买力、忠诚度和潜力加权的 0–100 分排名，前 5% 为 VIP、其后 15% 为 A（见"
                           "settings.toml [key_accounts]）。收入、订单、投诉为截至数据日期的近 12 个月；预测 12 月"
                           "价值来自客户终身价值模型；下次跟进 = 最近一次互动（无则最近下单）+ 等级对应的跟进周期，"
                           "早于数据日期即为逾期。流失风险与面临流失价值（流失概率 × 预测 12 月价值）来自"
                           " analytics.churn_scores，未评分表示近 365 天无购买。",
    },
    "en": {
        "vip_count": "VIP accounts", "a_count": "A accounts",
        "revenue_share": "VIP + A share of the 12-month revenue of all graded customers",
        "overdue": "Overdue follow-ups", "at_risk": "High churn risk", "value_at_risk": "Value at risk",
        "of_accounts": "of {n} key accounts",
        "search": "Search", "search_placeholder": "company, owner or industry", "grade": "Grade", "owner": "Owner",
        "risk_tier": "Churn risk", "all": "All", "unassigned": "Unassigned", "overdue_only": "Follow-up overdue only",
        "counter": "Showing {shown} of {total} accounts",
        "intro": "The archive of the VIP and A key accounts (from analytics.key_accounts), by grade and score. "
                 "Click a column header to sort; use the toolbar to filter; printing prints the rows as filtered. "
                 "Contact details are masked: look up the full contact in the CRM.",
        "print_note": "Printed as filtered and sorted on screen (click “Show all” first to print every row).",
        "show_more": "Show more",
        "show_all": "Show all",
        "capped": "The table lists the first {shown} accounts by grade and score ({total} VIP and A accounts in all; "
                  "limit: settings.toml [reports] key_accounts_max_rows); the full list is the warehouse table "
                  "analytics.key_accounts.",
        "no_data": "No key accounts yet: grading needs sales data (analytics.key_accounts is empty).",
        "col_company": "Company", "col_contact": "Contact", "col_owner": "Owner", "col_industry": "Industry",
        "col_size": "Size", "col_grade": "Grade", "col_score": "Score", "col_revenue": "Revenue 12m",
        "col_orders": "Orders 12m", "col_predicted": "Predicted 12m value", "col_last_order": "Last order",
        "col_last_interaction": "Last contact", "col_complaints": "Complaints 12m",
        "col_opportunity": "Open opportunities", "col_follow_up": "Next follow-up", "col_overdue": "Overdue",
        "col_tier": "Churn risk", "col_value_at_risk": "Value at risk",
        "yes_overdue": "Overdue", "no": "No", "colon": ":",
        "definitions": "Definitions",
        "definition_text": "Grade and score: rank of a 0–100 score weighing purchasing power, loyalty and potential; "
                           "the top 5% are VIP, the next 15% A (settings.toml [key_accounts]). Revenue, orders and "
                           "complaints cover the 12 months up to the as-of date; the predicted 12-month value comes "
                           "from the customer-lifetime-value model; next follow-up = last contact (else last order) "
                           "+ the grade's follow-up interval, overdue when before the as-of date. Churn risk and "
                           "value at risk (churn probability × predicted 12-month value) come from "
                           "analytics.churn_scores; not scored = no purchase in the last 365 days.",
    },
}


def _with_churn_scores(conn: duckdb.DuckDBPyConnection) -> bool:
    """Whether analytics.churn_scores is built with the risk columns (else those columns are empty)."""
    return (table_exists(conn, CHURN_SCORES)
            and {"risk_tier", "churn_probability", "value_at_risk"} <= column_names(conn, CHURN_SCORES))


def key_account_rows(conn: duckdb.DuckDBPyConnection,
                     max_rows: int = ReportSettings.key_accounts_max_rows) -> list[dict]:
    """The VIP and A accounts with their archive fields and, when scored, churn risk tier, churn
    probability and value at risk; VIP first, then by score rank (1 = best), then customer id; at
    most ``max_rows`` of them."""
    if not table_exists(conn, KEY_ACCOUNTS):
        return []
    rows = query_dicts(SQL, conn, "key_account_rows", {"with_churn_scores": _with_churn_scores(conn)},
                       max_rows=int(max_rows))
    return [decimal_to_float(r) for r in rows]


def key_account_summary(conn: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    """Summary cards, over every VIP and A account (not only the rows shown): VIP and A counts,
    their share of the 12-month revenue of all graded customers, overdue follow-ups, high-risk
    accounts and their value at risk."""
    if not table_exists(conn, KEY_ACCOUNTS):
        return {"vip": 0, "a": 0, "accounts": 0, "key_revenue": 0.0, "total_revenue": 0.0, "revenue_share": None,
                "overdue": 0, "high_risk": 0, "value_at_risk": 0.0}
    row = query_one(SQL, conn, "key_account_summary", {"with_churn_scores": _with_churn_scores(conn)})
    row = decimal_to_float(row)
    row["revenue_share"] = share(row["key_revenue"], row["total_revenue"])
    return row


def render_key_accounts_pages(
    conn: duckdb.DuckDBPyConnection, as_of: date, generated_at: datetime, currency_symbol: str,
    thresholds: dict[str, Any] | None,
) -> dict[str, str]:
    """The key-account table in Chinese and English: {"zh": html, "en": html}."""
    options = report_settings(thresholds)
    max_rows, page_size = options.key_accounts_max_rows, options.key_accounts_page_size
    rows = key_account_rows(conn, max_rows)
    summary = key_account_summary(conn)
    owners = sorted({r["owner"] for r in rows if r["owner"] is not None})
    has_unassigned = any(r["owner"] is None for r in rows)
    tiers_present = [t for t in (*TIERS, None) if any(r["risk_tier"] == t for r in rows)]
    statuses = prediction_statuses(conn, (CHURN_STATUS, CLV_STATUS))

    def context(language: str) -> dict[str, Any]:
        found = notices(statuses, language)
        churn_failed = is_failed(found[CHURN_STATUS])
        # Without churn scores in this run nobody is "not scored" (which means no recent purchase).
        tier_labels = {**TIER_LABELS[language], None: "—"} if churn_failed else TIER_LABELS[language]
        return {
            "s": STRINGS[language], "rows": rows, "summary": summary, "owners": owners,
            "has_unassigned": has_unassigned, "grades": [g for g in KEY_GRADES if any(r["grade"] == g for r in rows)],
            "notices": {"churn": found[CHURN_STATUS], "clv": found[CLV_STATUS]}, "churn_failed": churn_failed,
            "grade_labels": GRADE_LABELS[language], "tier_labels": tier_labels, "tiers": tiers_present,
            "tier_rank": TIER_RANK,
            "sn": sort_number, "sd": sort_date, "page_size": page_size,
        }

    return render_pages(STEM, "key_accounts.html.j2", as_of, generated_at, currency_symbol, context)


@report_asset(
    STEM,
    kinds={"html"},
    shows_predictions=True,
    deps=[AssetKey(["analytics", "key_accounts"]), AssetKey(["analytics", "churn_scores"])],
)
def key_accounts_report(
    context: AssetExecutionContext, warehouse: Warehouse, settings: PipelineSettings
) -> MaterializeResult:
    """重点客户管理表 / Key-account management table: `<reports dir>/<as_of>/key_accounts.html`
    (also `.zh.html`, `.en.html` and in `latest/`).

    One row per VIP or A account of analytics.key_accounts: company, contact (name, masked phone and
    e-mail), owner, industry, company size, grade, score, revenue, orders and complaints of the last
    12 months, predicted 12-month value, last order and last contact dates, open opportunity value,
    next follow-up date and whether it is overdue, plus the churn risk tier and value at risk from
    analytics.churn_scores (empty when the customer is not scored). Summary cards: number of VIP and
    A accounts, their share of the 12-month revenue of all graded customers, overdue follow-ups,
    high-risk accounts. VIP first, then by score; at most `[reports] key_accounts_max_rows` (10,000)
    rows, which keeps the page under 10 MB (the cards always count every VIP and A account, and the
    page says when the list is cut); the first `[reports] key_accounts_page_size` (500) matching rows
    are shown, "show more" / "show all" reveal the rest, so a long list still opens in under 3 s.
    In the page: click a header to sort, filter by text (company /
    owner / industry), grade, owner, risk tier and "follow-up overdue only"; prints on A4 landscape."""
    return build_report(context, STEM, warehouse, settings, render_key_accounts_pages)
