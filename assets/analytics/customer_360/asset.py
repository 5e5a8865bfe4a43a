"""Customer 360: one profile row per customer with purchase, activity, service, e-mail and pipeline
facts as of the analysis date. The SQL is ``assets/analytics/customer_360/sql/customer_360.sql``."""


from collections.abc import Sequence
from datetime import date

import duckdb
from dagster import MaterializeResult, MetadataValue

from assets.analytics.customer_360.logic import EMAIL_WINDOW_DAYS, INTERACTION_TYPES
from assets.analytics.customer_360.settings import DEFAULT_ACTIVITY_WINDOWS, activity_windows
from assets.common.masking import register_masking_macros
from assets.common.metadata import materialize_as_of
from assets.common.resources import PipelineSettings, Warehouse
from assets.common.sql import SqlFolder
from assets.common.table_asset import table_asset

SQL = SqlFolder(__file__)


def build_customer_360(conn: duckdb.DuckDBPyConnection, as_of: date,
                       windows: Sequence[int] = DEFAULT_ACTIVITY_WINDOWS,
                       table: str = "analytics.customer_360", temporary: bool = False) -> None:
    """Rebuild analytics.customer_360 (or ``table``) as of the given date; later records are ignored.

    ``table``/``temporary`` let another asset build the same profile as a TEMP table for a
    different as-of date without touching the published one."""
    windows = [int(w) for w in windows]
    register_masking_macros(conn)
    SQL.run(
        conn, "customer_360",
        {"table": table, "temporary": temporary, "windows": windows,
         "interaction_stems": list(INTERACTION_TYPES.values())},
        as_of=as_of, windows=windows, interaction_types=list(INTERACTION_TYPES),
        email_window_days=EMAIL_WINDOW_DAYS,
    )


@table_asset("analytics.customer_360", deps=[f"core.{t}" for t in (
    "customers", "orders", "order_lines", "interactions", "tickets", "surveys", "email_events", "opportunities")])
def customer_360(warehouse: Warehouse, settings: PipelineSettings) -> MaterializeResult:
    """One row per customer (prospects who never bought included): who they are, what they bought,
    how we talk to them, how service went and what is in the pipeline, as of the analysis date.
    Nothing dated after the as-of date counts. A window of N days means the N days ending on the
    as-of date (as-of − N < date ≤ as-of).

    **Who**: customer_id, company, contact_name, phone_masked (``138****8000``: first 3 and last 4
    digits of a mobile, ``****5678`` for a landline), email_masked (``z***@example.com``), industry,
    company_size, region, owner (sales rep). Raw phone numbers and e-mails stay in core.customers.

    **Purchases** (completed orders only; refunded and cancelled orders never count):
    first_order_date, last_order_date, orders, revenue (¥), average_order_value = revenue ÷ orders,
    recency_days = as-of − last order, tenure_days = as-of − first order, mean_days_between_orders =
    (last − first order date) ÷ (distinct purchase days − 1), empty with fewer than 2 purchase days;
    favourite_categories = the customer's top 3 product categories by revenue of their completed
    orders' lines, highest first, ties by name, as ``Tea, Coffee``. Prospects: 0 orders, 0 revenue,
    empty dates.

    **CRM activities**, for each window in ``[customer_360] activity_windows_days`` (default 30, 90,
    365): calls_Nd, visits_Nd, meetings_Nd, wechats_Nd, crm_emails_Nd (e-mails logged by sales reps in
    the CRM) and interactions_Nd (all activity types, including types not listed);
    last_contact_date = the latest CRM activity.

    **Service**: tickets and complaints (tickets whose category is Complaint / 投诉) opened up to the
    as-of date; mean_csat = mean CSAT (1–5) of those tickets that have one; last_nps = score 0–10 of
    the customer's latest NPS answer.

    **Marketing e-mail**: a message is one campaign to one of the customer's addresses. It counts as
    delivered when it has a delivered, open or click event, or was sent without bouncing.
    marketing_emails_delivered_90d = delivered messages first sent in the last 90 days;
    email_open_rate_90d = those opened (an open or a click event) ÷ delivered; email_click_rate_90d =
    those clicked ÷ delivered (rates 0–1, empty when nothing was delivered); unsubscribed = any
    unsubscribe event of the customer up to the as-of date.

    **Pipeline**: open_opportunity_value = amount (¥) of the CRM opportunities open on the as-of
    date: created by then and either still open or won/lost only after it.

    **Missing data**: activity counts, tickets, complaints, marketing_emails_delivered_90d,
    unsubscribed and open_opportunity_value are 0 / false when the source system has records up to
    the as-of date but none for the customer, and empty when that system delivered no records at
    all (unknown rather than zero). as_of is the analysis date on every row."""

    def build(conn: duckdb.DuckDBPyConnection, as_of: date) -> dict[str, MetadataValue]:
        windows = activity_windows(settings.rules())
        build_customer_360(conn, as_of, windows)
        return {"activity_windows_days": MetadataValue.text(", ".join(str(w) for w in windows))}

    return materialize_as_of(warehouse, settings, "analytics.customer_360", build)


CUSTOMER_360_ASSETS = [customer_360]
