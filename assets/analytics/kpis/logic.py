"""Monthly KPIs as DuckDB SQL: one row per (month, KPI) with the change against the previous month
and against the same month a year earlier.

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

UNITS = ("count", "ratio", "CNY", "hours", "score")
RELATIVE_CHANGE_UNITS = ("count", "CNY")
SOURCES = ("sales", "service_tickets", "service_nps", "email", "crm_opportunities")


@dataclass(frozen=True)
class Kpi:
    """One KPI: its name, unit, source, how it is computed from the monthly facts, and its meaning.

    ``value``, ``numerator`` and ``denominator`` are SQL expressions over the columns of the monthly
    facts table (``_kpi_facts``); ``definition`` may contain ``{churn_days}``.
    """

    name: str
    unit: str
    source: str
    label_en: str
    label_zh: str
    value: str
    definition: str
    numerator: str = "NULL"
    denominator: str = "NULL"


def _ratio(numerator: str, denominator: str, scale: str = "") -> str:
    return f"{scale}CAST({numerator} AS DOUBLE) / nullif({denominator}, 0)"


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
        _ratio("retained_customers", "previous_active_customers"),
        "Of the customers active in the previous month (denominator), the share also active in this "
        "month (numerator).",
        "retained_customers", "previous_active_customers"),
    Kpi("repurchase_rate", "ratio", "sales", "Repurchase rate", "复购率",
        _ratio("repeat_buyers", "active_customers"),
        "Of the customers active in the month (denominator), the share with at least two completed "
        "orders up to period_end, i.e. at least one completed order before one of this month's "
        "(numerator; a new customer ordering twice in the month counts).",
        "repeat_buyers", "active_customers"),
    Kpi("churn_rate", "ratio", "sales", "Churn rate", "流失率",
        _ratio("churned_customers", "customers_at_start"),
        "Churned customers in the month (numerator) ÷ customers at the start of the month, i.e. the "
        "customers KPI at the end of the previous month (denominator).",
        "churned_customers", "customers_at_start"),
    Kpi("orders", "count", "sales", "Orders", "订单数", "orders",
        "Completed orders dated in the month (refunded and cancelled orders excluded)."),
    Kpi("revenue", "CNY", "sales", "Revenue", "销售额", "revenue",
        "Sum of the amounts of completed orders dated in the month (CNY); refunded and cancelled "
        "orders are excluded."),
    Kpi("average_order_value", "CNY", "sales", "Average order value", "客单价",
        _ratio("revenue", "orders"),
        "Revenue (numerator) ÷ completed orders (denominator) of the month.",
        "revenue", "orders"),
    Kpi("csat", "score", "service_tickets", "CSAT", "客户满意度",
        _ratio("csat_sum", "rated_tickets"),
        "Mean satisfaction rating (1–5) of the tickets opened in the month that have one: sum of "
        "ratings (numerator) ÷ rated tickets (denominator).",
        "csat_sum", "rated_tickets"),
    Kpi("nps", "score", "service_nps", "NPS", "净推荐值",
        _ratio("promoters - detractors", "nps_answers", "100 * "),
        "Net promoter score of the survey answers dated in the month: 100 × (promoters, score 9–10, − "
        "detractors, score 0–6) ÷ answers; from −100 to 100. Numerator = promoters − detractors, "
        "denominator = answers.",
        "promoters - detractors", "nps_answers"),
    Kpi("complaint_rate", "ratio", "service_tickets", "Complaint rate", "投诉率",
        _ratio("complaints", "tickets"),
        "Complaint tickets (category containing 'complaint' or '投诉') opened in the month (numerator) ÷ "
        "tickets opened in the month (denominator).",
        "complaints", "tickets"),
    Kpi("median_first_response_hours", "hours", "service_tickets", "Median first response (hours)",
        "首次响应时长中位数（小时）", "median_first_response_hours",
        "Median hours from opening to first response of the tickets opened in the month that had a "
        "response by the as-of date (denominator = how many; with an even count, the mean of the two "
        "middle values).",
        "NULL", "responded_tickets"),
    Kpi("median_resolution_hours", "hours", "service_tickets", "Median resolution (hours)",
        "解决时长中位数（小时）", "median_resolution_hours",
        "Median hours from opening to resolution of the tickets opened in the month that were resolved "
        "by the as-of date (denominator = how many; with an even count, the mean of the two middle "
        "values).",
        "NULL", "resolved_tickets"),
    Kpi("email_open_rate", "ratio", "email", "E-mail open rate", "邮件打开率",
        _ratio("opened_mailings", "delivered_mailings"),
        _OPEN_RATE_DEF + "Open rate = delivered mailings with at least one open event by the as-of date "
        "(numerator) ÷ delivered mailings (denominator).",
        "opened_mailings", "delivered_mailings"),
    Kpi("email_click_rate", "ratio", "email", "E-mail click rate", "邮件点击率",
        _ratio("clicked_mailings", "delivered_mailings"),
        _OPEN_RATE_DEF + "Click rate = delivered mailings with at least one click event (numerator) ÷ "
        "delivered mailings (denominator).",
        "clicked_mailings", "delivered_mailings"),
    Kpi("email_unsubscribe_rate", "ratio", "email", "E-mail unsubscribe rate", "邮件退订率",
        _ratio("unsubscribed_mailings", "delivered_mailings"),
        _OPEN_RATE_DEF + "Unsubscribe rate = delivered mailings with an unsubscribe event (numerator) ÷ "
        "delivered mailings (denominator).",
        "unsubscribed_mailings", "delivered_mailings"),
    Kpi("opportunity_win_rate", "ratio", "crm_opportunities", "Opportunity win rate", "商机赢单率",
        _ratio("won_opportunities", "won_opportunities + lost_opportunities"),
        "Opportunities won (numerator) ÷ opportunities won or lost (denominator), among those whose "
        "close date is in the month.",
        "won_opportunities", "won_opportunities + lost_opportunities"),
    Kpi("pipeline", "CNY", "crm_opportunities", "Open pipeline", "商机管道金额", "pipeline_amount",
        "Sum of the amounts of opportunities open at period_end: created on or before it and neither won "
        "nor lost by then (still open, or a close date after period_end). Won or lost opportunities "
        "without a close date are left out. Denominator = number of these open opportunities.",
        "NULL", "open_opportunities"),
)

KPI_NAMES = tuple(k.name for k in KPIS)


def definition_text(kpi: Kpi, churn_days: int) -> str:
    """The KPI's definition with the settings values filled in."""
    return kpi.definition.format(churn_days=churn_days, window_days=churn_days + 1,
                                 return_gap_days=churn_days + 2)


# --- step 1: the months and the first month of each source -----------------------------------------

_MONTH = "CAST(date_trunc('month', {0}) AS DATE)"


def _month(expr: str) -> str:
    return _MONTH.format(expr)


# an opportunity is first seen when created, or when won or lost if that is recorded earlier
_FIRST_OPPORTUNITY_DATE = ("least(min(created_date) FILTER (WHERE created_date <= $as_of), min(close_date) "
                           "FILTER (WHERE status IN ('won', 'lost') AND close_date <= $as_of))")

SOURCE_STARTS_SQL = f"""
CREATE OR REPLACE TEMP TABLE _kpi_source_starts AS
SELECT
  (SELECT {_month('min(order_date)')} FROM core.orders WHERE order_date <= $as_of) AS sales_from,
  (SELECT {_month('min(opened_date)')} FROM core.tickets WHERE opened_date <= $as_of) AS service_tickets_from,
  (SELECT {_month('min(survey_date)')} FROM core.surveys WHERE survey_date <= $as_of) AS service_nps_from,
  (SELECT {_month('min(event_date)')} FROM core.email_events WHERE event_date <= $as_of) AS email_from,
  (SELECT {_month(_FIRST_OPPORTUNITY_DATE)} FROM core.opportunities) AS crm_opportunities_from
"""

MONTHS_SQL = f"""
CREATE OR REPLACE TEMP TABLE _kpi_months AS
SELECT CAST(m AS DATE) AS month,
       least(last_day(CAST(m AS DATE)), $as_of) AS period_end,
       last_day(CAST(m AS DATE)) > $as_of AS is_partial_month
FROM range((SELECT least(sales_from, service_tickets_from, service_nps_from, email_from, crm_opportunities_from)
            FROM _kpi_source_starts),
           {_month('$as_of')} + INTERVAL 1 MONTH, INTERVAL 1 MONTH) t(m)
ORDER BY month
"""

# --- step 2: sales ------------------------------------------------------------------------------

COMPLETED_ORDERS_SQL = f"""
CREATE OR REPLACE TEMP TABLE _kpi_orders AS
SELECT order_id, customer_id, order_date, {_month('order_date')} AS month, amount
FROM core.orders
WHERE is_revenue AND order_date <= $as_of
"""

# One row per customer and month with completed orders: orders in the month, orders up to the month
# end, the previous month with orders and the first month with orders.
CUSTOMER_MONTHS_SQL = """
CREATE OR REPLACE TEMP TABLE _kpi_customer_months AS
SELECT customer_id, month, count(*) AS orders,
       sum(count(*)) OVER (PARTITION BY customer_id ORDER BY month) AS orders_to_date,
       lag(month) OVER (PARTITION BY customer_id ORDER BY month) AS previous_active_month,
       min(month) OVER (PARTITION BY customer_id) AS first_month
FROM _kpi_orders
WHERE customer_id IS NOT NULL
GROUP BY customer_id, month
"""

# One row per customer and purchase day, with the previous and next purchase days and the churn day
# (the first day with no purchase for more than churn_days). The customer is in the active base from
# the purchase day until the day before ``leaves_base`` (the next purchase day or the churn day).
PURCHASE_DAYS_SQL = """
CREATE OR REPLACE TEMP TABLE _kpi_purchase_days AS
WITH days AS (
    SELECT DISTINCT customer_id, order_date FROM _kpi_orders WHERE customer_id IS NOT NULL
), linked AS (
    SELECT customer_id, order_date,
           lag(order_date) OVER (PARTITION BY customer_id ORDER BY order_date) AS previous_day,
           lead(order_date) OVER (PARTITION BY customer_id ORDER BY order_date) AS next_day
    FROM days
)
SELECT customer_id, order_date, previous_day, next_day,
       order_date + CAST($churn_days + 1 AS INTEGER) AS churn_day,
       least(next_day, order_date + CAST($churn_days + 1 AS INTEGER)) AS leaves_base,
       previous_day IS NOT NULL AND order_date > previous_day + CAST($churn_days + 1 AS INTEGER) AS is_return,
       next_day IS NULL OR next_day > order_date + CAST($churn_days + 1 AS INTEGER) AS churns
FROM linked
"""

SALES_FACTS_SQL = f"""
CREATE OR REPLACE TEMP TABLE _kpi_sales AS
WITH order_facts AS (
    SELECT month, count(*) AS orders, sum(amount) AS revenue FROM _kpi_orders GROUP BY month
), customer_facts AS (
    SELECT month,
           count(*) AS active_customers,
           count(*) FILTER (WHERE month = first_month) AS new_customers,
           count(*) FILTER (WHERE orders_to_date >= 2) AS repeat_buyers,
           count(*) FILTER (WHERE previous_active_month = CAST(month - INTERVAL 1 MONTH AS DATE))
             AS retained_customers
    FROM _kpi_customer_months GROUP BY month
), base_moves AS (
    SELECT {_month('order_date')} AS month, 1 AS moves FROM _kpi_purchase_days
    UNION ALL
    SELECT {_month('leaves_base')}, -1 FROM _kpi_purchase_days WHERE leaves_base <= $as_of
), base_change AS (
    SELECT month, sum(moves) AS base_change FROM base_moves GROUP BY month
), churned AS (
    SELECT {_month('churn_day')} AS month, count(DISTINCT customer_id) AS churned_customers
    FROM _kpi_purchase_days WHERE churns AND churn_day <= $as_of GROUP BY ALL
), won_back AS (
    SELECT {_month('order_date')} AS month, count(DISTINCT customer_id) AS returning_customers
    FROM _kpi_purchase_days WHERE is_return GROUP BY ALL
), monthly AS (
    SELECT m.month,
           coalesce(o.orders, 0) AS orders,
           CAST(coalesce(o.revenue, 0) AS DOUBLE) AS revenue,
           coalesce(c.active_customers, 0) AS active_customers,
           coalesce(c.new_customers, 0) AS new_customers,
           coalesce(c.repeat_buyers, 0) AS repeat_buyers,
           coalesce(c.retained_customers, 0) AS retained_customers,
           coalesce(ch.churned_customers, 0) AS churned_customers,
           coalesce(r.returning_customers, 0) AS returning_customers,
           sum(coalesce(b.base_change, 0)) OVER (ORDER BY m.month) AS customers
    FROM _kpi_months m
    LEFT JOIN order_facts o USING (month)
    LEFT JOIN customer_facts c USING (month)
    LEFT JOIN base_change b USING (month)
    LEFT JOIN churned ch USING (month)
    LEFT JOIN won_back r USING (month)
)
SELECT *,
       coalesce(lag(customers) OVER (ORDER BY month), 0) AS customers_at_start,
       coalesce(lag(active_customers) OVER (ORDER BY month), 0) AS previous_active_customers
FROM monthly
"""

# --- step 3: service, NPS, e-mail, opportunities -------------------------------------------------------

TICKET_FACTS_SQL = f"""
CREATE OR REPLACE TEMP TABLE _kpi_tickets AS
WITH t AS (
    SELECT {_month('opened_date')} AS month, is_complaint, csat,
           CASE WHEN CAST(first_response_at AS DATE) <= $as_of THEN first_response_hours END AS response_hours,
           CASE WHEN CAST(resolved_at AS DATE) <= $as_of THEN resolution_hours END AS resolution_hours
    FROM core.tickets WHERE opened_date <= $as_of
)
SELECT month, count(*) AS tickets,
       count(*) FILTER (WHERE is_complaint) AS complaints,
       count(csat) AS rated_tickets, sum(csat) AS csat_sum,
       median(response_hours) AS median_first_response_hours, count(response_hours) AS responded_tickets,
       median(resolution_hours) AS median_resolution_hours, count(resolution_hours) AS resolved_tickets
FROM t GROUP BY month
"""

NPS_FACTS_SQL = f"""
CREATE OR REPLACE TEMP TABLE _kpi_nps AS
SELECT {_month('survey_date')} AS month, count(*) AS nps_answers,
       count(*) FILTER (WHERE nps_group = 'promoter') AS promoters,
       count(*) FILTER (WHERE nps_group = 'detractor') AS detractors
FROM core.surveys WHERE survey_date <= $as_of GROUP BY ALL
"""

EMAIL_FACTS_SQL = f"""
CREATE OR REPLACE TEMP TABLE _kpi_email AS
WITH events AS (
    SELECT email, campaign_id, event_type, event_ts FROM core.email_events WHERE event_date <= $as_of
), export_has_delivered AS (
    SELECT coalesce(bool_or(event_type = 'delivered'), false) AS has_delivered FROM events
), mailings AS (
    SELECT email, campaign_id, {_month('min(event_ts)')} AS month,
           bool_or(event_type = 'sent') AS sent, bool_or(event_type = 'delivered') AS delivered,
           bool_or(event_type = 'bounce') AS bounced, bool_or(event_type = 'open') AS opened,
           bool_or(event_type = 'click') AS clicked, bool_or(event_type = 'unsubscribe') AS unsubscribed
    FROM events GROUP BY email, campaign_id
), judged AS (
    SELECT m.*, CASE WHEN x.has_delivered THEN m.delivered ELSE m.sent AND NOT m.bounced END AS counts_delivered
    FROM mailings m CROSS JOIN export_has_delivered x
)
SELECT month,
       count(*) FILTER (WHERE counts_delivered) AS delivered_mailings,
       count(*) FILTER (WHERE counts_delivered AND opened) AS opened_mailings,
       count(*) FILTER (WHERE counts_delivered AND clicked) AS clicked_mailings,
       count(*) FILTER (WHERE counts_delivered AND unsubscribed) AS unsubscribed_mailings
FROM judged GROUP BY month
"""

# An opportunity joins the pipeline in the month it was created and leaves it in the month it was won
# or lost (never before it joined); the pipeline at period_end is the running total of these moves.
OPPORTUNITY_FACTS_SQL = f"""
CREATE OR REPLACE TEMP TABLE _kpi_opportunities AS
WITH o AS (
    SELECT amount, created_date, status IN ('won', 'lost') AS is_closed, status,
           CASE WHEN status IN ('won', 'lost') THEN close_date END AS closed_on
    FROM core.opportunities
), closed AS (
    SELECT {_month('closed_on')} AS month,
           count(*) FILTER (WHERE status = 'won') AS won_opportunities,
           count(*) FILTER (WHERE status = 'lost') AS lost_opportunities
    FROM o WHERE closed_on <= $as_of GROUP BY ALL
), moves AS (
    SELECT {_month('created_date')} AS month, amount, 1 AS opportunities
    FROM o WHERE created_date <= $as_of AND NOT (is_closed AND closed_on IS NULL)
    UNION ALL
    SELECT greatest({_month('created_date')}, {_month('closed_on')}), -amount, -1
    FROM o WHERE created_date <= $as_of AND closed_on <= $as_of
), pipeline_change AS (
    SELECT month, sum(amount) AS amount_change, sum(opportunities) AS opportunities_change FROM moves GROUP BY month
)
SELECT m.month,
       coalesce(c.won_opportunities, 0) AS won_opportunities,
       coalesce(c.lost_opportunities, 0) AS lost_opportunities,
       CAST(sum(coalesce(p.amount_change, 0)) OVER (ORDER BY m.month) AS DOUBLE) AS pipeline_amount,
       sum(coalesce(p.opportunities_change, 0)) OVER (ORDER BY m.month) AS open_opportunities
FROM _kpi_months m
LEFT JOIN closed c USING (month)
LEFT JOIN pipeline_change p USING (month)
"""

# --- step 4: one row of facts per month, NULL outside each source's months ---------------------------

_SOURCE_COLUMNS = {
    "sales": ("s", ["customers", "customers_at_start", "new_customers", "returning_customers", "active_customers",
                    "churned_customers", "retained_customers", "previous_active_customers", "repeat_buyers",
                    "orders", "revenue"]),
    "service_tickets": ("t", ["tickets", "complaints", "rated_tickets", "csat_sum", "responded_tickets",
                              "resolved_tickets", "median_first_response_hours", "median_resolution_hours"]),
    "service_nps": ("n", ["nps_answers", "promoters", "detractors"]),
    "email": ("e", ["delivered_mailings", "opened_mailings", "clicked_mailings", "unsubscribed_mailings"]),
    "crm_opportunities": ("o", ["won_opportunities", "lost_opportunities", "pipeline_amount", "open_opportunities"]),
}
_NOT_ZERO_FILLED = {"median_first_response_hours", "median_resolution_hours"}


def _facts_sql() -> str:
    columns = []
    for source, (alias, names) in _SOURCE_COLUMNS.items():
        for name in names:
            filled = f"{alias}.{name}" if name in _NOT_ZERO_FILLED else f"coalesce({alias}.{name}, 0)"
            columns.append(f"CASE WHEN m.month >= x.{source}_from THEN {filled} END AS {name}")
    return (
        "CREATE OR REPLACE TEMP TABLE _kpi_facts AS\nSELECT m.month, m.period_end, m.is_partial_month,\n       "
        + ",\n       ".join(columns)
        + "\nFROM _kpi_months m CROSS JOIN _kpi_source_starts x\n"
        "LEFT JOIN _kpi_sales s USING (month)\nLEFT JOIN _kpi_tickets t USING (month)\n"
        "LEFT JOIN _kpi_nps n USING (month)\nLEFT JOIN _kpi_email e USING (month)\n"
        "LEFT JOIN _kpi_opportunities o USING (month)\nORDER BY m.month"
    )


FACTS_SQL = _facts_sql()


# --- step 5: the long table with the comparisons --------------------------------------------------------

def _kpis_monthly_sql() -> str:
    parts = [
        f"SELECT month, {position} AS position, '{k.name}' AS kpi, '{k.unit}' AS unit, "
        f"CAST({k.value} AS DOUBLE) AS value, CAST({k.numerator} AS DOUBLE) AS numerator, "
        f"CAST({k.denominator} AS DOUBLE) AS denominator, period_end, is_partial_month FROM _kpi_facts"
        for position, k in enumerate(KPIS)
    ]
    relative = ", ".join(f"'{u}'" for u in RELATIVE_CHANGE_UNITS)
    return f"""
CREATE OR REPLACE TABLE analytics.kpis_monthly AS
WITH long AS (
    {(chr(10) + '    UNION ALL ' + chr(10) + '    ').join(parts)}
), compared AS (
    SELECT *,
           lag(value, 1) OVER (PARTITION BY kpi ORDER BY month) AS previous_month_value,
           lag(value, 12) OVER (PARTITION BY kpi ORDER BY month) AS same_month_last_year_value
    FROM long
)
SELECT month, kpi, unit, value, numerator, denominator,
       previous_month_value,
       value - previous_month_value AS change_vs_previous_month,
       CASE WHEN unit IN ({relative}) AND previous_month_value <> 0
            THEN value / previous_month_value - 1 END AS relative_change_vs_previous_month,
       same_month_last_year_value,
       value - same_month_last_year_value AS change_vs_last_year,
       CASE WHEN unit IN ({relative}) AND same_month_last_year_value <> 0
            THEN value / same_month_last_year_value - 1 END AS relative_change_vs_last_year,
       period_end, is_partial_month, CAST($as_of AS DATE) AS as_of
FROM compared
ORDER BY month, position
"""


KPIS_MONTHLY_SQL = _kpis_monthly_sql()

_STEPS = (
    (SOURCE_STARTS_SQL, ("as_of",)),
    (MONTHS_SQL, ("as_of",)),
    (COMPLETED_ORDERS_SQL, ("as_of",)),
    (CUSTOMER_MONTHS_SQL, ()),
    (PURCHASE_DAYS_SQL, ("churn_days",)),
    (SALES_FACTS_SQL, ("as_of",)),
    (TICKET_FACTS_SQL, ("as_of",)),
    (NPS_FACTS_SQL, ("as_of",)),
    (EMAIL_FACTS_SQL, ("as_of",)),
    (OPPORTUNITY_FACTS_SQL, ("as_of",)),
    (FACTS_SQL, ()),
    (KPIS_MONTHLY_SQL, ("as_of",)),
)
_TEMP_TABLES = ("_kpi_source_starts", "_kpi_months", "_kpi_orders", "_kpi_customer_months", "_kpi_purchase_days",
                "_kpi_sales", "_kpi_tickets", "_kpi_nps", "_kpi_email", "_kpi_opportunities", "_kpi_facts")


def churn_days_from(thresholds: dict) -> int:
    """``[lifecycle] churn_days`` from the settings, validated (the churn KPIs need at least 31 days so
    that a customer can churn at most once a month and only from the active base)."""
    try:
        churn_days = thresholds["lifecycle"]["churn_days"]
    except KeyError as exc:
        raise ValueError("settings [lifecycle] is missing the key 'churn_days' needed by the monthly KPIs") from exc
    if isinstance(churn_days, bool) or not isinstance(churn_days, int) or churn_days < 31:
        raise ValueError(f"settings [lifecycle] churn_days must be a whole number of days ≥ 31, got {churn_days!r}")
    return churn_days


def build_kpis_monthly(conn: duckdb.DuckDBPyConnection, as_of: date, churn_days: int) -> None:
    """Rebuild analytics.kpis_monthly from the core tables as of the given date."""
    values = {"as_of": as_of, "churn_days": churn_days}
    try:
        for sql, names in _STEPS:
            conn.execute(sql, {n: values[n] for n in names})
    finally:
        for table in _TEMP_TABLES:
            conn.execute(f"DROP TABLE IF EXISTS temp.{table}")


KPI_DEFINITIONS_SQL = """
CREATE OR REPLACE TABLE analytics.kpi_definitions AS
SELECT position, kpi, label_en, label_zh, unit, source, definition, CAST($as_of AS DATE) AS as_of
FROM (VALUES {rows}) t(position, kpi, label_en, label_zh, unit, source, definition)
ORDER BY position
"""


def kpi_definition_rows(churn_days: int) -> list[tuple]:
    """(position, kpi, label_en, label_zh, unit, source, definition) for every KPI, in table order."""
    return [(i + 1, k.name, k.label_en, k.label_zh, k.unit, k.source, definition_text(k, churn_days))
            for i, k in enumerate(KPIS)]


def build_kpi_definitions(conn: duckdb.DuckDBPyConnection, as_of: date, churn_days: int) -> None:
    """Rebuild analytics.kpi_definitions: one row per KPI with its unit, source and definition."""
    # the as-of placeholder comes first in the statement, then the VALUES rows
    rows = kpi_definition_rows(churn_days)
    placeholders = ", ".join("(?, ?, ?, ?, ?, ?, ?)" for _ in rows)
    conn.execute(
        KPI_DEFINITIONS_SQL.replace("{rows}", placeholders).replace("$as_of", "?"),
        [as_of] + [v for row in rows for v in row],
    )
