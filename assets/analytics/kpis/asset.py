"""Monthly KPIs (analytics.kpis_monthly) and their definitions (analytics.kpi_definitions).

The definitions live in ``assets.analytics.kpis.logic`` and the SQL in ``sql/``; these assets only
connect, resolve the as-of date and the settings, and report metadata.
"""

from datetime import date

import duckdb
from dagster import MaterializeResult, MetadataValue

from assets.analytics.kpis.logic import KPIS, build_kpi_definitions, build_kpis_monthly, definition_text
from assets.analytics.kpis.settings import churn_days_from
from assets.common.metadata import markdown_table, materialize_as_of
from assets.common.resources import PipelineSettings, Warehouse
from assets.common.table_asset import table_asset

CORE_INPUTS = ("orders", "tickets", "surveys", "email_events", "opportunities")


def _kpi_list_markdown(churn_days: int) -> str:
    return markdown_table(("kpi", "unit", "source", "definition"), "llll",
                          [(k.name, k.unit, k.source, definition_text(k, churn_days)) for k in KPIS])


_MONTHLY_DESCRIPTION = """One row per month and KPI (long format: filter on `kpi`), from the first month
in which any source has a record to the month of the as-of date. Definitions of every KPI are in
analytics.kpi_definitions and in this asset's metadata (`definitions`).

Columns: month (first day of the month); kpi (name); unit (count, ratio 0–1, CNY, hours, score);
value; numerator and denominator (the two numbers a ratio, mean or NPS is computed from — value =
numerator ÷ denominator, NPS × 100; for medians the denominator is how many values the median is
taken over, for pipeline how many opportunities are open; empty for plain counts and sums);
previous_month_value and change_vs_previous_month (value − previous); relative_change_vs_previous_month
(value ÷ previous − 1, only for counts and CNY); same_month_last_year_value, change_vs_last_year and
relative_change_vs_last_year (the same against the month twelve months earlier); period_end (last
day counted: the month end, or the as-of date in the as-of month); is_partial_month (the as-of month
when the as-of date is not its last day: flows cover only part of the month); as_of.

KPIs: customers (completed order in the churn_days + 1 days up to period_end, settings [lifecycle]
churn_days, so the count agrees with the lifecycle stages), new, returning, active and churned
customers (crossed churn_days without an order during the month), retention rate (active last month
and this month ÷ active last month), repurchase rate (active with ≥ 2 completed orders to date ÷
active), churn rate (churned ÷ customers at the end of the previous month), orders, revenue and
average order value (completed orders only), CSAT (mean rating of tickets opened in the month), NPS
(% promoters − % detractors), complaint rate, median first response and resolution hours, e-mail
open, click and unsubscribe rates (unique address × campaign ÷ delivered), opportunity win rate (won
÷ won + lost closed in the month) and open pipeline at period_end.

A source's KPIs are NULL before its first month and when the source is empty (no export is not a
CSAT of 0); a ratio with a zero denominator is NULL. Nothing dated after the as-of date counts."""


@table_asset("analytics.kpis_monthly", deps=[f"core.{name}" for name in CORE_INPUTS], description=_MONTHLY_DESCRIPTION)
def kpis_monthly(warehouse: Warehouse, settings: PipelineSettings) -> MaterializeResult:
    churn_days = churn_days_from(settings.rules())

    def build(conn: duckdb.DuckDBPyConnection, as_of: date) -> dict[str, MetadataValue]:
        build_kpis_monthly(conn, as_of, churn_days)
        months = conn.execute("SELECT count(DISTINCT month), min(month) FROM analytics.kpis_monthly").fetchone()
        return {
            "months": MetadataValue.int(int(months[0])),
            "first_month": MetadataValue.text(months[1].isoformat() if months[1] else ""),
            "churn_days": MetadataValue.int(churn_days),
            "definitions": MetadataValue.md(_kpi_list_markdown(churn_days)),
        }

    return materialize_as_of(warehouse, settings, "analytics.kpis_monthly", build)


@table_asset(
    "analytics.kpi_definitions",
    deps=["staging.sales_order_lines"],  # the default as-of date comes from it
    description="One row per KPI of analytics.kpis_monthly, in the order the KPIs appear there: position, "
    "kpi (name), label_en and label_zh (names for reports), unit (count, ratio 0–1, CNY, hours, score), "
    "source (sales, service_tickets, service_nps, email, crm_opportunities: the export whose absence makes "
    "the KPI NULL) and definition (in words, with the settings values filled in, e.g. [lifecycle] "
    "churn_days), plus as_of.",
)
def kpi_definitions(warehouse: Warehouse, settings: PipelineSettings) -> MaterializeResult:
    churn_days = churn_days_from(settings.rules())
    return materialize_as_of(warehouse, settings, "analytics.kpi_definitions",
                             lambda conn, as_of: build_kpi_definitions(conn, as_of, churn_days))


KPI_ASSETS = [kpis_monthly, kpi_definitions]
