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
from reports.common.wording import wording

SQL = SqlFolder(__file__)
STEM = "key_accounts"
KEY_ACCOUNTS = "analytics.key_accounts"
CHURN_SCORES = "analytics.churn_scores"

STRINGS = wording(__file__)["labels"]


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
