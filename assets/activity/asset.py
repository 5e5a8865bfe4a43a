"""Core activity tables: what each customer did besides buying.

CRM activities, opportunities, service tickets, NPS answers and e-mail events attached to the
resolved customer (via core.identity_map), each built by ``sql/<table>.sql``. Records that could
not be attached keep an empty customer_id, so nothing is dropped."""

from dagster import AssetKey, AssetsDefinition, MaterializeResult, asset

from assets.common.metadata import table_metadata
from assets.common.resources import Warehouse
from assets.common.sql import SqlFolder

SQL = SqlFolder(__file__)


def _core_table(name: str, staging_kind: str, description: str) -> AssetsDefinition:
    @asset(
        key=["core", name],
        group_name="core",
        kinds={"duckdb"},
        deps=[AssetKey(["staging", staging_kind]), AssetKey(["core", "identity_map"])],
        description=description,
    )
    def _asset(warehouse: Warehouse) -> MaterializeResult:
        with warehouse.connect() as conn:
            SQL.run(conn, name)
            return MaterializeResult(metadata=table_metadata(conn, f"core.{name}"))

    return _asset


ACTIVITY_ASSETS = [
    _core_table(
        "interactions", "crm_interactions",
        "One row per CRM activity (call, visit, meeting, WeChat, e-mail) with the customer it belongs "
        "to, its date and the sales rep (owner). customer_id is empty when the CRM account is unknown.",
    ),
    _core_table(
        "opportunities", "crm_opportunities",
        "One row per CRM opportunity (deal) with its customer, stage, amount, created and close dates and "
        "status won / lost / open.",
    ),
    _core_table(
        "tickets", "service_tickets",
        "One row per customer-service ticket with its customer (linked by phone or e-mail), opening, first "
        "response and resolution times, hours to first response and to resolution, category, "
        "is_complaint (category Complaint / 投诉), priority, status and CSAT (1-5).",
    ),
    _core_table(
        "surveys", "service_nps",
        "One row per NPS survey answer with its customer, date, score 0-10 and group: promoter (9-10), "
        "passive (7-8) or detractor (0-6), and the comment.",
    ),
    _core_table(
        "email_events", "email_events",
        "One row per e-mail-marketing event (sent, delivered, open, click, bounce, unsubscribe) with the "
        "address, the customer it belongs to (empty for addresses no CRM contact has), campaign and time.",
    ),
]
