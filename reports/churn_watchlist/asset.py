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
from reports.common.wording import wording

SQL = SqlFolder(__file__)
STEM = "churn_watchlist"
CHURN_SCORES = "analytics.churn_scores"
ACTIONS = "analytics.next_best_actions"
KEY_ACCOUNTS = "analytics.key_accounts"
WATCH_TIERS = ("high", "medium")
CONTROL_ACTION = "control_no_action"
NO_ACTION = "none"

STRINGS = wording(__file__)["labels"]
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
