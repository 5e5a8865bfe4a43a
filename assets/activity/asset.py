"""Core activity tables: what each customer did besides buying."""

from dagster import AssetKey, AssetsDefinition, MaterializeResult, asset

from assets.activity.logic import (
    EMAIL_EVENTS_SQL,
    INTERACTIONS_SQL,
    OPPORTUNITIES_SQL,
    SURVEYS_SQL,
    TICKETS_SQL,
)
from assets.common.metadata import table_metadata
from assets.common.resources import Warehouse


def _core_table(name: str, staging_kind: str, sql: str, description: str) -> AssetsDefinition:
    @asset(
        key=["core", name],
        group_name="core",
        kinds={"duckdb"},
        deps=[AssetKey(["staging", staging_kind]), AssetKey(["core", "identity_map"])],
        description=description,
    )
    def _asset(warehouse: Warehouse) -> MaterializeResult:
        with warehouse.connect() as conn:
            conn.execute(sql)
            return MaterializeResult(metadata=table_metadata(conn, f"core.{name}"))

    return _asset


ACTIVITY_ASSETS = [
    _core_table(
        "interactions", "crm_interactions", INTERACTIONS_SQL,
        "One row per CRM activity (call, visit, meeting, WeChat, e-mail) with the customer it belongs "
        "to, its date and the sales rep (owner). customer_id is empty when the CRM account is unknown.",
    ),
    _core_table(
        "opportunities", "crm_opportunities", OPPORTUNITIES_SQL,
        "One row per CRM opportunity (deal) with its customer, stage, amount, created and close dates and "
        "status won / lost / open.",
    ),
    _core_table(
        "tickets", "service_tickets", TICKETS_SQL,
        "One row per customer-service ticket with its customer (linked by phone or e-mail), opening, first "
        "response and resolution times, hours to first response and to resolution, category, "
        "is_complaint (category Complaint / 投诉), priority, status and CSAT (1-5).",
    ),
    _core_table(
        "surveys", "service_nps", SURVEYS_SQL,
        "One row per NPS survey answer with its customer, date, score 0-10 and group: promoter (9-10), "
        "passive (7-8) or detractor (0-6), and the comment.",
    ),
    _core_table(
        "email_events", "email_events", EMAIL_EVENTS_SQL,
        "One row per e-mail-marketing event (sent, delivered, open, click, bounce, unsubscribe) with the "
        "address, the customer it belongs to (empty for addresses no CRM contact has), campaign and time.",
    ),
]
