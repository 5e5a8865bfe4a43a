"""Monthly KPIs as DuckDB SQL (sql/kpis_monthly.sql): one row per (month, KPI) with the change against
the previous month and against the same month a year earlier.

Conventions shared by every KPI:

* **Months** run from the first month in which any source has a record (a completed, refunded or
  cancelled order, a ticket, a survey answer, an e-mail event, an opportunity created or closed) to
  the month of the as-of date. Nothing dated after the as-of date counts.
* **period_end** is the last day of the month, or the as-of date in the as-of month. The as-of month
  is flagged ``is_partial_month`` unless the as-of date is the last day of its month. Stock figures
  (customers, pipeline) are measured on ``period_end``; flows (new, orders, revenue...) count what
  is dated from the first of the month to ``period_end``.
* **Sources and NULL**: every KPI belongs to one source (sales, service_tickets, service_nps,
  email, crm_opportunities). Before the month of a source's first record, and throughout when the
  source is empty, its KPIs are NULL: a missing export is not a CSAT of 0. Inside a source's months,
  counts and sums without events are 0, and a ratio, mean or median with nothing to divide is NULL.
* **numerator / denominator**: the two numbers a ratio, mean or NPS is computed from (value =
  numerator ÷ denominator; NPS ×100). For medians, the denominator is how many values the median is
  taken over; for pipeline, how many opportunities are open. Plain counts and sums leave them empty.
* **Changes**: ``change_vs_previous_month`` = value − previous month's value and
  ``change_vs_last_year`` = value − value of the same month a year earlier (for rates these are
  changes in ratio points: 0.05 = 5 percentage points). ``relative_change_*`` = value ÷ earlier
  value − 1, only for counts and CNY amounts (NULL for ratios, scores and hours, and when the
  earlier value is 0 or NULL).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import duckdb

from assets.common.sql import SqlFolder

UNITS = ("count", "ratio", "CNY", "hours", "score")
RELATIVE_CHANGE_UNITS = ("count", "CNY")
SOURCES = ("sales", "service_tickets", "service_nps", "email", "crm_opportunities")

SQL = SqlFolder(__file__)


@dataclass(frozen=True)
class Kpi:
    """One KPI: its name, unit, source, how it is computed from the monthly facts, and its meaning.

    ``value``, ``numerator`` and ``denominator`` name columns of the monthly facts (``_kpi_facts``,
    plus ``net_promoters`` = promoters − detractors and ``closed_opportunities`` = won + lost, see
    sql/kpis_monthly.sql). ``value`` is the column shown as the value; without one the value is
    ``scale`` × numerator ÷ denominator (NULL when the denominator is 0). ``definition`` may contain
    ``{churn_days}``.
    """

    name: str
    unit: str
    source: str
    label_en: str
    label_zh: str
    value: str | None
    definition: str
    numerator: str | None = None
    denominator: str | None = None
    scale: int = 1


_OPEN_RATE_DEF = (
    "A mailing is one (e-mail address, campaign) pair, counted in the month of its first event (the "
    "send). Delivered mailings: pairs with a delivered event; when the e-mail export has no delivered "
    "events at all, sent pairs without a bounce. "
)

KPIS: tuple[Kpi, ...] = (
    Kpi("customers", "count", "sales", "Customers", "客户数", "customers",
        "Buying customers not churned at period_end: customers with at least one completed order in "
        "the {window_days} days from period_end − {churn_days} days to period_end (settings [lifecycle] "
        "churn_days = {churn_days}). These are exactly the customers the lifecycle stages do not call "
        "churned (no purchase for more than churn_days) among those who ever bought; prospects who never "
        "bought are not counted. customers = previous month's customers + new + returning − churned."),
    Kpi("new_customers", "count", "sales", "New customers", "新客户数", "new_customers",
        "Customers whose first completed order ever is dated in the month (up to period_end)."),
    Kpi("returning_customers", "count", "sales", "Returning customers", "回流客户数", "returning_customers",
        "Customers won back: a completed order in the month placed after more than {churn_days} days "
        "without one, i.e. they had churned the day before (at least {return_gap_days} days after their "
        "previous completed order; the lifecycle stage 'reactivated' uses its own window)."),
    Kpi("active_customers", "count", "sales", "Active customers", "活跃客户数", "active_customers",
        "Customers with at least one completed order dated in the month (up to period_end)."),
    Kpi("churned_customers", "count", "sales", "Churned customers", "流失客户数", "churned_customers",
        "Customers who crossed the churn threshold in the month: their churn day — the day after the "
        "last completed order plus {churn_days} days, the first day with no purchase for more than "
        "churn_days — falls in the month (up to period_end) and they had not ordered again by that day."),
    Kpi("retention_rate", "ratio", "sales", "Retention rate", "留存率",
        None,
        "Of the customers active in the previous month (denominator), the share also active in this "
        "month (numerator).",
        "retained_customers", "previous_active_customers"),
    Kpi("repurchase_rate", "ratio", "sales", "Repurchase rate", "复购率",
        None,
        "Of the customers active in the month (denominator), the share with at least two completed "
        "orders up to period_end, i.e. at least one completed order before one of this month's "
        "(numerator; a new customer ordering twice in the month counts).",
        "repeat_buyers", "active_customers"),
    Kpi("churn_rate", "ratio", "sales", "Churn rate", "流失率",
        None,
        "Churned customers in the month (numerator) ÷ customers at the start of the month, i.e. the "
        "customers KPI at the end of the previous month (denominator).",
        "churned_customers", "customers_at_start"),
    Kpi("orders", "count", "sales", "Orders", "订单数", "orders",
        "Completed orders dated in the month (refunded and cancelled orders excluded)."),
    Kpi("revenue", "CNY", "sales", "Revenue", "销售额", "revenue",
        "Sum of the amounts of completed orders dated in the month (CNY); refunded and cancelled "
        "orders are excluded."),
    Kpi("average_order_value", "CNY", "sales", "Average order value", "客单价",
        None,
        "Revenue (numerator) ÷ completed orders (denominator) of the month.",
        "revenue", "orders"),
    Kpi("csat", "score", "service_tickets", "CSAT", "客户满意度",
        None,
        "Mean satisfaction rating (1–5) of the tickets opened in the month that have one: sum of "
        "ratings (numerator) ÷ rated tickets (denominator).",
        "csat_sum", "rated_tickets"),
    Kpi("nps", "score", "service_nps", "NPS", "净推荐值",
        None,
        "Net promoter score of the survey answers dated in the month: 100 × (promoters, score 9–10, − "
        "detractors, score 0–6) ÷ answers; from −100 to 100. Numerator = promoters − detractors, "
        "denominator = answers.",
        "net_promoters", "nps_answers", scale=100),
    Kpi("complaint_rate", "ratio", "service_tickets", "Complaint rate", "投诉率",
        None,
        "Complaint tickets (category containing 'complaint' or '投诉') opened in the month (numerator) ÷ "
        "tickets opened in the month (denominator).",
        "complaints", "tickets"),
    Kpi("median_first_response_hours", "hours", "service_tickets", "Median first response (hours)",
        "首次响应时长中位数（小时）", "median_first_response_hours",
        "Median hours from opening to first response of the tickets opened in the month that had a "
        "response by the as-of date (denominator = how many; with an even count, the mean of the two "
        "middle values).",
        None, "responded_tickets"),
    Kpi("median_resolution_hours", "hours", "service_tickets", "Median resolution (hours)",
        "解决时长中位数（小时）", "median_resolution_hours",
        "Median hours from opening to resolution of the tickets opened in the month that were resolved "
        "by the as-of date (denominator = how many; with an even count, the mean of the two middle "
        "values).",
        None, "resolved_tickets"),
    Kpi("email_open_rate", "ratio", "email", "E-mail open rate", "邮件打开率",
        None,
        _OPEN_RATE_DEF + "Open rate = delivered mailings with at least one open event by the as-of date "
        "(numerator) ÷ delivered mailings (denominator).",
        "opened_mailings", "delivered_mailings"),
    Kpi("email_click_rate", "ratio", "email", "E-mail click rate", "邮件点击率",
        None,
        _OPEN_RATE_DEF + "Click rate = delivered mailings with at least one click event (numerator) ÷ "
        "delivered mailings (denominator).",
        "clicked_mailings", "delivered_mailings"),
    Kpi("email_unsubscribe_rate", "ratio", "email", "E-mail unsubscribe rate", "邮件退订率",
        None,
        _OPEN_RATE_DEF + "Unsubscribe rate = delivered mailings with an unsubscribe event (numerator) ÷ "
        "delivered mailings (denominator).",
        "unsubscribed_mailings", "delivered_mailings"),
    Kpi("opportunity_win_rate", "ratio", "crm_opportunities", "Opportunity win rate", "商机赢单率",
        None,
        "Opportunities won (numerator) ÷ opportunities won or lost (denominator), among those whose "
        "close date is in the month.",
        "won_opportunities", "closed_opportunities"),
    Kpi("pipeline", "CNY", "crm_opportunities", "Open pipeline", "商机管道金额", "pipeline_amount",
        "Sum of the amounts of opportunities open at period_end: created on or before it and neither won "
        "nor lost by then (still open, or a close date after period_end). Won or lost opportunities "
        "without a close date are left out. Denominator = number of these open opportunities.",
        None, "open_opportunities"),
)

KPI_NAMES = tuple(k.name for k in KPIS)


def definition_text(kpi: Kpi, churn_days: int) -> str:
    """The KPI's definition with the settings values filled in."""
    return kpi.definition.format(churn_days=churn_days, window_days=churn_days + 1,
                                 return_gap_days=churn_days + 2)


def build_kpis_monthly(conn: duckdb.DuckDBPyConnection, as_of: date, churn_days: int) -> None:
    """Rebuild analytics.kpis_monthly from the core tables as of the given date."""
    try:
        SQL.run(conn, "kpis_monthly", {"kpis": KPIS}, as_of=as_of, churn_days=churn_days,
                kpi_names=list(KPI_NAMES), kpi_units=[k.unit for k in KPIS],
                relative_change_units=list(RELATIVE_CHANGE_UNITS))
    finally:
        SQL.run(conn, "drop_kpi_temp_tables")


def kpi_definition_rows(churn_days: int) -> list[tuple]:
    """(position, kpi, label_en, label_zh, unit, source, definition) for every KPI, in table order."""
    return [(i + 1, k.name, k.label_en, k.label_zh, k.unit, k.source, definition_text(k, churn_days))
            for i, k in enumerate(KPIS)]


def build_kpi_definitions(conn: duckdb.DuckDBPyConnection, as_of: date, churn_days: int) -> None:
    """Rebuild analytics.kpi_definitions: one row per KPI with its unit, source and definition."""
    positions, kpis, labels_en, labels_zh, units, sources, definitions = (
        list(column) for column in zip(*kpi_definition_rows(churn_days), strict=True))
    SQL.run(conn, "kpi_definitions", as_of=as_of, positions=positions, kpis=kpis, labels_en=labels_en,
            labels_zh=labels_zh, units=units, sources=sources, definitions=definitions)
