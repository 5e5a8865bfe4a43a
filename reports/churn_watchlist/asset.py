"""Churn watchlist (流失预警名单): the customers at high or medium churn risk, most value at risk
first, with the reasons, early-warning flags, owner and the recommended action; control-group
customers are listed but marked "no action"."""

from datetime import date, datetime
from typing import Any

import duckdb
from dagster import AssetExecutionContext, AssetKey, MaterializeResult

from assets.common.resources import PipelineSettings, Warehouse
from assets.common.sql import SqlFolder
from assets.common.tables import column_names, table_exists
from reports.common.outcome import build_report, report_asset
from reports.common.prediction_status import CHURN_SCORES as CHURN_STATUS
from reports.common.prediction_status import CLV as CLV_STATUS
from reports.common.prediction_status import is_failed, notices, prediction_statuses
from reports.common.queries import query_dicts, query_one
from reports.common.settings import ReportSettings, report_settings
from reports.common.table_reports import (
    FLAG_LABELS,
    FLAGS,
    GRADE_LABELS,
    TIER_LABELS,
    TIER_RANK,
    decimal_to_float,
    render_pages,
    sort_number,
)

SQL = SqlFolder(__file__)
STEM = "churn_watchlist"
CHURN_SCORES = "analytics.churn_scores"
ACTIONS = "analytics.next_best_actions"
KEY_ACCOUNTS = "analytics.key_accounts"
WATCH_TIERS = ("high", "medium")
CONTROL_ACTION = "control_no_action"
NO_ACTION = "none"

STRINGS = {
    "zh": {
        "high": "高风险客户", "medium": "中风险客户", "value_at_risk_total": "高、中风险客户面临流失的价值",
        "listed": "本名单列出", "control": "对照组客户（名单内）",
        "listed_detail": "按面临流失价值排名前 {shown} 位（共 {total} 位高、中风险客户）",
        "intro": "流失风险为高或中的客户（来自 analytics.churn_scores），按面临流失的价值（流失概率 × 预测 12 个月"
                 "价值）从高到低排列，最多 {size} 位（settings.toml [reports] watchlist_size）。建议行动与原因来自"
                 " analytics.next_best_actions，等级来自 analytics.key_accounts。点击表头可排序，工具栏可筛选。",
        "control_callout": "标记为“对照组”的 {n} 位客户请勿联系：他们是随机留出的对照组，本期不采取任何行动，"
                           "用于衡量各项行动的实际效果（见 analytics.action_lift）。",
        "search": "搜索", "search_placeholder": "公司或负责人", "owner": "负责人", "risk_tier": "流失风险",
        "action": "建议行动", "all": "全部", "unassigned": "未分配",
        "counter": "显示 {shown} / {total} 位客户", "print_note": "打印内容为屏幕上当前筛选和排序的结果。",
        "no_data": "暂无高、中流失风险客户（analytics.churn_scores 为空或没有高、中风险客户）。",
        "col_rank": "序号", "col_company": "客户", "col_owner": "负责人", "col_grade": "等级", "col_tier": "流失风险",
        "col_probability": "流失概率", "col_value_at_risk": "面临流失价值", "col_clv": "预测 12 月价值",
        "col_days": "距上次购买（天）", "col_reasons": "主要原因", "col_flags": "预警信号", "col_action": "建议行动",
        "control_label": "对照组——不采取行动（用于衡量效果）", "control_badge": "对照组",
        "control_reason": "请勿联系：该客户在随机对照组中，本期不采取任何行动，以便衡量行动效果。",
        "no_action_label": "无匹配的行动规则", "no_action_reason": "未列入下一步最佳行动清单。",
        "definitions": "口径说明", "clv_subject": "预测 12 个月价值（面临流失价值的一部分）：",
        "definition_text": "流失概率：未来 90 天不再购买的概率（所选模型，见 analytics.churn_model_metrics）；"
                           "高风险 ≥ 0.6，中风险 ≥ 0.3（settings.toml [churn]）。面临流失价值 = 流失概率 × "
                           "预测 12 个月价值。预警信号：互动骤减（近 90 天联系次数不到此前 90 天的一半）、"
                           "消费下滑（近 90 天消费不到此前 90 天的一半）、投诉激增（近 90 天投诉 ≥ 2 次且至少为"
                           "此前的两倍）。",
    },
    "en": {
        "high": "High-risk customers", "medium": "Medium-risk customers",
        "value_at_risk_total": "Value at risk, high and medium risk",
        "listed": "On this list", "control": "Control-group customers on the list",
        "listed_detail": "the top {shown} by value at risk ({total} customers at high or medium risk)",
        "intro": "Customers at high or medium churn risk (from analytics.churn_scores), by value at risk (churn "
                 "probability × predicted 12-month value), highest first, at most {size} (settings.toml [reports] "
                 "watchlist_size). Recommended actions and reasons come from analytics.next_best_actions, grades "
                 "from analytics.key_accounts. Click a column header to sort; use the toolbar to filter.",
        "control_callout": "Do not contact the {n} customers marked \"Control\": they are a random control group that "
                           "gets no action this period, so the effect of the actions can be measured "
                           "(see analytics.action_lift).",
        "search": "Search", "search_placeholder": "company or owner", "owner": "Owner", "risk_tier": "Churn risk",
        "action": "Action", "all": "All", "unassigned": "Unassigned",
        "counter": "Showing {shown} of {total} customers", "print_note": "Printed as filtered and sorted on screen.",
        "no_data": "No customers at high or medium churn risk (analytics.churn_scores is empty or has none).",
        "col_rank": "#", "col_company": "Customer", "col_owner": "Owner", "col_grade": "Grade",
        "col_tier": "Churn risk",
        "col_probability": "Churn probability", "col_value_at_risk": "Value at risk", "col_clv": "Predicted 12m value",
        "col_days": "Days since last purchase", "col_reasons": "Top reasons", "col_flags": "Early warnings",
        "col_action": "Recommended action",
        "control_label": "Control group — no action (measuring effect)", "control_badge": "Control",
        "control_reason": "Do not contact: this customer is in the random control group and gets no action this "
                          "period, so the effect of the actions can be measured.",
        "no_action_label": "No playbook action", "no_action_reason": "Not on the next-best-action list.",
        "definitions": "Definitions",
        "clv_subject": "Predicted 12-month value (part of the value at risk):",
        "definition_text": "Churn probability: the probability of no purchase in the next 90 days (shipped model, see "
                           "analytics.churn_model_metrics); high risk ≥ 0.6, medium ≥ 0.3 (settings.toml [churn]). "
                           "Value at risk = churn probability × predicted 12-month value. Early warnings: fewer "
                           "contacts (contacts in the last 90 days at most half of the 90 days before), spend drop "
                           "(spend in the last 90 days at most half of the 90 days before), complaint spike (2 or "
                           "more complaints in the last 90 days and at least twice as many as before).",
    },
}
_REASON_SEPARATORS = {"zh": "；", "en": "; "}


def _optional(conn: duckdb.DuckDBPyConnection, table: str, needed: set[str]) -> bool:
    return table_exists(conn, table) and needed <= column_names(conn, table)


def watchlist_rows(conn: duckdb.DuckDBPyConnection, size: int = ReportSettings.watchlist_size) -> list[dict]:
    """The top ``size`` customers at high or medium churn risk by value at risk (then churn
    probability, then customer id), with owner, company, grade, reasons, flags and action."""
    if not _optional(conn, CHURN_SCORES, {"risk_tier", "value_at_risk", "top_reasons", "top_reasons_zh"}):
        return []
    with_actions = _optional(conn, ACTIONS, {"action", "action_label_en", "action_label_zh", "reason_en",
                                             "reason_zh", "is_control", "owner", "company"})
    with_accounts = _optional(conn, KEY_ACCOUNTS, {"grade", "owner", "company"})
    structure = {"with_actions": with_actions, "with_accounts": with_accounts, "flags": list(FLAGS),
                 "scored_flags": sorted(set(FLAGS) & column_names(conn, CHURN_SCORES))}
    rows = query_dicts(SQL, conn, "watchlist_rows", structure, size=int(size))
    return [decimal_to_float(r) for r in rows]


def watchlist_totals(conn: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    """Customers at high and at medium risk in all (not only those listed) and their value at risk."""
    if not _optional(conn, CHURN_SCORES, {"risk_tier", "value_at_risk"}):
        return {"high": 0, "medium": 0, "watched": 0, "value_at_risk": 0.0}
    totals = query_one(SQL, conn, "watchlist_totals")
    return decimal_to_float(totals)


def _for_language(row: dict, language: str, s: dict[str, str]) -> dict:
    """One listed customer's texts in ``language``: reasons as a list, flags, action label and reason."""
    reasons = row["top_reasons_zh"] if language == "zh" else row["top_reasons"]
    if row["is_control"]:
        action, label, reason = CONTROL_ACTION, s["control_label"], s["control_reason"]
    elif row["action"] is None:
        action, label, reason = NO_ACTION, s["no_action_label"], s["no_action_reason"]
    else:
        action, label = row["action"], row[f"action_label_{language}"] or row["action"]
        reason = row[f"reason_{language}"]
    return {
        **row,
        "reasons": [r.strip() for r in (reasons or "").split(_REASON_SEPARATORS[language]) if r.strip()],
        "flags": [f for f in FLAGS if row[f]],
        "action_code": action, "action_label": label, "action_reason": reason,
    }


def render_churn_watchlist_pages(
    conn: duckdb.DuckDBPyConnection, as_of: date, generated_at: datetime, currency_symbol: str,
    thresholds: dict[str, Any] | None,
) -> dict[str, str]:
    """The churn watchlist in Chinese and English: {"zh": html, "en": html}."""
    size = report_settings(thresholds).watchlist_size
    rows = watchlist_rows(conn, size)
    totals = watchlist_totals(conn)
    owners = sorted({r["owner"] for r in rows if r["owner"] is not None})
    control = sum(1 for r in rows if r["is_control"])
    statuses = prediction_statuses(conn, (CHURN_STATUS, CLV_STATUS))

    def context(language: str) -> dict[str, Any]:
        s = STRINGS[language]
        found = notices(statuses, language)
        listed = [_for_language(r, language, s) for r in rows]
        actions: dict[str, str] = {}
        for r in listed:
            actions.setdefault(r["action_code"], r["action_label"])
        specials = (CONTROL_ACTION, NO_ACTION)
        action_options = sorted((code, label) for code, label in actions.items() if code not in specials)
        action_options += [(code, actions[code]) for code in specials if code in actions]
        return {
            "s": s, "rows": listed, "totals": totals, "size": size, "control": control, "owners": owners,
            "notices": {"churn": found[CHURN_STATUS], "clv": found[CLV_STATUS]},
            "churn_failed": is_failed(found[CHURN_STATUS]),
            "has_unassigned": any(r["owner"] is None for r in rows),
            "tiers": [t for t in WATCH_TIERS if any(r["risk_tier"] == t for r in rows)],
            "action_options": action_options, "grade_labels": GRADE_LABELS[language],
            "tier_labels": TIER_LABELS[language], "tier_rank": TIER_RANK, "flag_labels": FLAG_LABELS[language],
            "sn": sort_number, "control_action": CONTROL_ACTION,
        }

    return render_pages(STEM, "churn_watchlist.html.j2", as_of, generated_at, currency_symbol, context)


@report_asset(
    STEM,
    kinds={"html"},
    shows_predictions=True,
    deps=[AssetKey(["analytics", "churn_scores"]), AssetKey(["analytics", "next_best_actions"]),
          AssetKey(["analytics", "key_accounts"])],
)
def churn_watchlist_report(
    context: AssetExecutionContext, warehouse: Warehouse, settings: PipelineSettings
) -> MaterializeResult:
    """流失预警名单 / Churn watchlist: `<reports dir>/<as_of>/churn_watchlist.html` (also `.zh.html`,
    `.en.html` and in `latest/`).

    One row per customer at high or medium churn risk (analytics.churn_scores), most value at risk
    first (value at risk = churn probability × predicted 12-month value; ties by churn probability,
    then customer id), at most `[reports] watchlist_size` (500) rows; the header says how many
    customers are at high and at medium risk in all. Columns: customer (company), owner, key-account
    grade (analytics.key_accounts), risk tier, churn probability, value at risk, predicted 12-month
    value, days since the last purchase, the top reasons and early-warning flags (fewer contacts,
    spend drop, complaint spike) from analytics.churn_scores, and the recommended action with its
    reason from analytics.next_best_actions ("no playbook action" when the customer is not on that
    list). Control-group customers are listed with the action "control group — no action (measuring
    effect)" and a badge, so managers do not contact them. Sort and filter (owner, risk tier,
    action) in the page; prints on A4 landscape."""
    return build_report(context, STEM, warehouse, settings, render_churn_watchlist_pages)
