"""Identity resolution: one customer across the four systems (core.identity_map, core.customers)."""


from dagster import MaterializeResult, MetadataValue

from assets.common.metadata import table_metadata
from assets.common.resources import Warehouse
from assets.common.sql import SqlFolder
from assets.common.table_asset import table_asset
from assets.identity.logic import build_customers, build_identity_map

SQL = SqlFolder(__file__)

STAGING_KINDS = ["crm_accounts", "sales_order_lines", "service_tickets", "service_nps", "email_events"]


@table_asset("core.identity_map", deps=[f"staging.{kind}" for kind in STAGING_KINDS])
def identity_map(warehouse: Warehouse) -> MaterializeResult:
    """Which customer each source record belongs to: one row per (source, source_key).

    source is the export kind (crm_accounts, sales_order_lines, service_tickets, service_nps,
    email_events); source_key is the record's key in that system (CRM account id, sales customer
    code, ticket id, NPS answer id, lower-case e-mail address). Every CRM account is a customer; the
    other records are attached to one, strongest rule first:

    - crm sales code (confidence 1.0): the sales code is the ERP code recorded on a CRM account;
    - company name (0.8): a sales code no CRM account lists, whose company name equals that of exactly
      one CRM account without ERP code (case, brackets, spaces and legal forms such as 有限公司 ignored,
      so 瑞达科技（杭州）有限公司 = 杭州瑞达科技有限公司) and of no other unlisted code;
      company name without place (0.7) also ignores a leading city or province, only when the full
      name matches no CRM account and the shortened name exactly one;
    - phone and email (0.99), phone (0.95), email (0.95): tickets and NPS answers by the CRM phone
      (E.164) or e-mail, e-mail-marketing addresses by the CRM e-mail; phone, email conflict (0.6):
      phone and e-mail point at different accounts, the phone wins.

    A sales code left unlinked is a customer of its own (sales only, or sales only, name ambiguous when
    its name fits several accounts: left for a person to decide); other records stay without customer
    (unmatched). An identifier held by several CRM accounts goes to the account created first, the rule
    gets ", shared" and the confidence is divided by the number of accounts. Customer ids are hashes
    of the anchoring record (CRM account, or sales code), stable from run to run.
    """
    with warehouse.connect() as conn:
        build_identity_map(conn)
        rules = SQL.rows(conn, "links_by_rule")
        links = "| source | match_rule | records | avg confidence |\n|---|---|---|---|\n" + "".join(
            f"| {source} | {rule} | {count} | {confidence} |\n" for source, rule, count, confidence in rules
        )
        return MaterializeResult(
            metadata=table_metadata(conn, "core.identity_map", links_by_rule=MetadataValue.md(links))
        )


@table_asset("core.customers", deps=["core.identity_map"])
def customers(warehouse: Warehouse) -> MaterializeResult:
    """One row per resolved customer: every CRM account (prospects included) plus every sales customer
    code that identity resolution could not attach to a CRM account. Carries the CRM's descriptive
    fields (company, industry, size, region, owner, contact name) and raw contact details (phone in
    E.164, e-mail), which stay in the core layer; analytics tables show them masked.
    sales_customer_code is the ERP code the CRM lists or, failing that, the code linked by company name."""
    with warehouse.connect() as conn:
        build_customers(conn)
        return MaterializeResult(metadata=table_metadata(conn, "core.customers"))


IDENTITY_ASSETS = [identity_map, customers]
