"""How each raw export becomes a typed staging table: the typed columns, the row rules whose
failures send a row to quarantine, and the business key used to collapse re-delivered rows.

Expressions are DuckDB SQL over the raw text columns (see ``sql_functions`` for the crm_* macros).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from assets.staging.date_order import UNDECIDED_RULE, day_month_undecided
from assets.staging.numbers import MONEY, NUMBER_PROBLEMS, NumberColumns, NumberInputs
from assets.staging.plausibility import AmountBound, default_amount_bound


@dataclass(frozen=True)
class RowRule:
    """A row-level rule: rows where ``failing_when`` holds go to quarantine with this rule name."""

    column: str
    rule: str
    failing_when: str


@dataclass(frozen=True)
class StagingSpec:
    """Typed columns, row rules and business key of one staging table."""

    kind: str
    columns: dict[str, str]
    rules: tuple[RowRule, ...]
    business_key: tuple[str, ...]
    # The relation read instead of raw.<kind> when the typed columns and rules need helper columns
    # (names starting with _), e.g. the decimal separator of a number column in its file.
    source_relation: str | None = None
    # [staging] date_order: day/month order of files whose dates do not show it (date_order.py).
    date_order: str = "auto"

    def source(self) -> str:
        """SQL relation the staging query reads: ``raw.<kind>``, or it with helper columns."""
        return self.source_relation or f"raw.{self.kind}"


def _required_timestamp(raw: str, typed: str) -> tuple[RowRule, ...]:
    return (RowRule(raw, "required value missing", f"crm_text({raw}) IS NULL"), *_timestamp_rules(raw, typed))


def _optional_timestamp(raw: str, typed: str) -> tuple[RowRule, ...]:
    return _timestamp_rules(raw, typed)


def _timestamp_rules(raw: str, typed: str) -> tuple[RowRule, ...]:
    """A date that cannot be read: its day/month order unknown (see date_order.py), or no known layout."""
    undecided = day_month_undecided(raw)
    return (
        RowRule(raw, UNDECIDED_RULE, undecided),
        RowRule(raw, "unparseable date", f"crm_text({raw}) IS NOT NULL AND {typed} IS NULL AND NOT {undecided}"),
    )


def _required_text(raw: str) -> RowRule:
    return RowRule(raw, "required value missing", f"crm_text({raw}) IS NULL")


def _readable_number(numbers: NumberColumns, raw: str) -> tuple[RowRule, ...]:
    """A present value must be a number readable with its column's decimal separator."""
    problem = numbers.problem(raw)
    return tuple(RowRule(raw, rule, f"{problem} = '{code}'") for code, rule in NUMBER_PROBLEMS.items())


ORDER_STATUS = """CASE
    WHEN crm_text(status) IS NULL THEN 'completed'
    WHEN lower(crm_text(status)) IN ('completed', 'complete', 'paid', 'delivered', 'shipped', 'closed',
         '已完成', '完成', '已付款', '已发货', '已签收', '交易成功') THEN 'completed'
    WHEN lower(crm_text(status)) IN ('refunded', 'refund', 'returned', '已退款', '退款', '退货', '已退货')
         THEN 'refunded'
    WHEN lower(crm_text(status)) IN ('cancelled', 'canceled', 'void', '已取消', '取消', '交易关闭')
         THEN 'cancelled'
    ELSE lower(crm_text(status)) END"""

INTERACTION_TYPE = """CASE
    WHEN lower(crm_text(interaction_type)) IN ('call', 'phone', 'phone call', '电话', '电话拜访') THEN 'call'
    WHEN lower(crm_text(interaction_type)) IN ('visit', 'site visit', '拜访', '上门拜访', '实地拜访') THEN 'visit'
    WHEN lower(crm_text(interaction_type)) IN ('meeting', '会议', '会面') THEN 'meeting'
    WHEN lower(crm_text(interaction_type)) IN ('wechat', 'wechat message', '微信', '企业微信') THEN 'wechat'
    WHEN lower(crm_text(interaction_type)) IN ('email', 'e-mail', '邮件') THEN 'email'
    ELSE lower(crm_text(interaction_type)) END"""

OPPORTUNITY_STATUS = """CASE
    WHEN lower(coalesce(crm_text(status), '')) IN ('won', 'win', '赢单', '成交')
         OR lower(coalesce(crm_text(stage), '')) IN ('closed won', '赢单') THEN 'won'
    WHEN lower(coalesce(crm_text(status), '')) IN ('lost', 'lose', '输单', '丢单')
         OR lower(coalesce(crm_text(stage), '')) IN ('closed lost', '输单') THEN 'lost'
    ELSE 'open' END"""

EMAIL_EVENT = """CASE
    WHEN lower(crm_text(event_type)) IN ('sent', 'send', '发送') THEN 'sent'
    WHEN lower(crm_text(event_type)) IN ('delivered', 'delivery', '送达') THEN 'delivered'
    WHEN lower(crm_text(event_type)) IN ('open', 'opened', '打开') THEN 'open'
    WHEN lower(crm_text(event_type)) IN ('click', 'clicked', '点击') THEN 'click'
    WHEN lower(crm_text(event_type)) IN ('bounce', 'bounced', '退信') THEN 'bounce'
    WHEN lower(crm_text(event_type)) IN ('unsubscribe', 'unsubscribed', '退订') THEN 'unsubscribe'
    ELSE lower(crm_text(event_type)) END"""

# Record id for exports without an id column: a fingerprint of the row's content, so the same row
# delivered again (in the same or another file) collapses into one. The staging build replaces the
# placeholder with an MD5 over all the export's columns.
ROW_CONTENT_ID = "__ROW_CONTENT_ID__"
_ROW_ID = ROW_CONTENT_ID

SALES_NUMBER_COLUMNS = ("quantity", "unit_price", "discount", "amount")
OPPORTUNITY_NUMBER_COLUMNS = ("amount",)


def _sales_order_lines(numbers: NumberColumns, amount_bound: AmountBound) -> StagingSpec:
    quantity = f"coalesce({numbers.value('quantity', 'DOUBLE')}, 1)"
    discount = f"coalesce({numbers.value('discount', MONEY)}, 0)"
    # No amount given but quantity and unit price (an export without an amount column): derived.
    derive = "crm_text(amount) IS NULL AND crm_text(quantity) IS NOT NULL AND crm_text(unit_price) IS NOT NULL"
    derived = (f"TRY_CAST(round({numbers.value('quantity', 'DOUBLE')} * {numbers.value('unit_price', 'DOUBLE')} "
               f"- coalesce({numbers.value('discount', 'DOUBLE')}, 0), 2) AS DECIMAL(38, 6))")
    amount = f"CASE WHEN {derive} THEN {derived} ELSE {numbers.value('amount')} END"
    return StagingSpec(
        kind="sales_order_lines",
        columns={
            "order_id": f"coalesce(crm_text(order_id), {_ROW_ID})",
            # No line numbers but an order number (Online Retail and the like: one row per product of an
            # invoice): each line is numbered by its place in its order in the file, so the lines of one
            # order are not taken for re-deliveries of one line. Without an order number the row's
            # content is its key (order_id), and line 1 keeps overlapping exports from counting twice.
            "line_no": """coalesce(TRY_CAST(crm_number(line_no) AS INTEGER),
                CASE WHEN crm_text(order_id) IS NULL THEN 1
                     ELSE CAST(row_number() OVER (PARTITION BY _source_file, _sheet, _file_hash, crm_text(order_id)
                                                   ORDER BY _row_number) AS INTEGER) END)""",
            "customer_code": "crm_text(customer_code)",
            "customer_name": "crm_text(customer_name)",
            "order_ts": "crm_timestamp(order_date)",
            "order_date": "CAST(crm_timestamp(order_date) AS DATE)",
            "sku": "crm_text(sku)",
            "product_name": "crm_text(product_name)",
            "category": "crm_text(category)",
            "quantity": quantity,
            "unit_price": numbers.value("unit_price", MONEY),
            "discount": discount,
            "amount": f"TRY_CAST({amount} AS {MONEY})",
            "channel": "crm_text(channel)",
            "region": "crm_text(region)",
            "status": ORDER_STATUS,
            # quantity × unit price − discount should equal the amount; a difference over one fen is flagged
            "amount_mismatch": f"""coalesce(abs({quantity} * {numbers.value('unit_price', MONEY)}
                - {discount} - TRY_CAST({amount} AS {MONEY})) > 0.01, false)""",
        },
        rules=(
            _required_text("customer_code"),
            *_required_timestamp("order_date", "crm_timestamp(order_date)"),
            RowRule("amount", "required value missing",
                    "crm_text(amount) IS NULL AND (crm_text(quantity) IS NULL OR crm_text(unit_price) IS NULL)"),
            *_readable_number(numbers, "amount"),
            RowRule("amount", amount_bound.rule, f"abs({amount}) > {amount_bound.value}"),
            *(rule for column in ("quantity", "unit_price", "discount") for rule in _readable_number(numbers, column)),
        ),
        business_key=("order_id", "line_no"),
        source_relation=numbers.source("sales_order_lines"),
    )


def _crm_opportunities(numbers: NumberColumns) -> StagingSpec:
    return StagingSpec(
        kind="crm_opportunities",
        columns={
            "opportunity_id": "crm_text(opportunity_id)",
            "account_id": "crm_text(account_id)",
            "opportunity_name": "crm_text(opportunity_name)",
            "stage": "crm_text(stage)",
            "amount": numbers.value("amount", MONEY),
            "created_date": "CAST(crm_timestamp(created_date) AS DATE)",
            "close_date": "CAST(crm_timestamp(close_date) AS DATE)",
            "status": OPPORTUNITY_STATUS,
            "owner": "crm_text(owner)",
        },
        rules=(
            _required_text("opportunity_id"),
            _required_text("account_id"),
            *_optional_timestamp("created_date", "crm_timestamp(created_date)"),
            *_optional_timestamp("close_date", "crm_timestamp(close_date)"),
            *_readable_number(numbers, "amount"),
        ),
        business_key=("opportunity_id",),
        source_relation=numbers.source("crm_opportunities"),
    )


# Number columns whose decimal separator is decided from the evidence of the column in each file.
NUMBER_COLUMNS: dict[str, tuple[str, ...]] = {
    "sales_order_lines": SALES_NUMBER_COLUMNS, "crm_opportunities": OPPORTUNITY_NUMBER_COLUMNS,
}


def staging_specs(decimal_separator: str = "auto", amount_bound: AmountBound | None = None,
                  number_inputs: Mapping[str, NumberInputs] | None = None) -> dict[str, StagingSpec]:
    """The staging specs with a run's settings and data: ``[staging] decimal_separator`` for columns
    whose values do not show their decimal separator, the plausibility bound of a sales order line's
    amount, and per kind its number values parsed for the run (else parsed in the query)."""
    def numbers(kind: str) -> NumberColumns:
        return NumberColumns(NUMBER_COLUMNS[kind], decimal_separator, (number_inputs or {}).get(kind))

    return {
        "sales_order_lines": _sales_order_lines(numbers("sales_order_lines"), amount_bound or default_amount_bound()),
        **_CRM_CONTACT_SPECS,
        "crm_opportunities": _crm_opportunities(numbers("crm_opportunities")),
        **_SERVICE_AND_EMAIL_SPECS,
    }


_CRM_CONTACT_SPECS: dict[str, StagingSpec] = {
    "crm_accounts": StagingSpec(
        kind="crm_accounts",
        columns={
            "account_id": "crm_text(account_id)",
            "sales_customer_code": "crm_text(sales_customer_code)",
            "contact_name": "crm_text(contact_name)",
            "company": "crm_text(company)",
            "industry": "crm_text(industry)",
            "company_size": "crm_text(company_size)",
            "region": "crm_text(region)",
            "phone_e164": "crm_phone(phone)",
            "email": "crm_email(email)",
            "created_date": "CAST(crm_timestamp(created_date) AS DATE)",
            "lead_source": "crm_text(lead_source)",
            "owner": "crm_text(owner)",
        },
        rules=(
            _required_text("account_id"),
            *_optional_timestamp("created_date", "crm_timestamp(created_date)"),
        ),
        business_key=("account_id",),
    ),
    "crm_interactions": StagingSpec(
        kind="crm_interactions",
        columns={
            "interaction_id": f"coalesce(crm_text(interaction_id), {_ROW_ID})",
            "account_id": "crm_text(account_id)",
            "interaction_type": INTERACTION_TYPE,
            "interaction_ts": "crm_timestamp(interaction_date)",
            "owner": "crm_text(owner)",
            "notes": "crm_text(notes)",
        },
        rules=(
            _required_text("account_id"),
            _required_text("interaction_type"),
            *_required_timestamp("interaction_date", "crm_timestamp(interaction_date)"),
        ),
        business_key=("interaction_id",),
    ),
}

_SERVICE_AND_EMAIL_SPECS: dict[str, StagingSpec] = {
    "service_tickets": StagingSpec(
        kind="service_tickets",
        columns={
            "ticket_id": "crm_text(ticket_id)",
            "phone_e164": "crm_phone(phone)",
            "email": "crm_email(email)",
            "opened_at": "crm_timestamp(opened_at)",
            "first_response_at": "crm_timestamp(first_response_at)",
            "resolved_at": "crm_timestamp(resolved_at)",
            "channel": "crm_text(channel)",
            "category": "crm_text(category)",
            "priority": "crm_text(priority)",
            "status": "crm_text(status)",
            "csat": "TRY_CAST(crm_number(csat) AS INTEGER)",
        },
        rules=(
            _required_text("ticket_id"),
            *_required_timestamp("opened_at", "crm_timestamp(opened_at)"),
            *_optional_timestamp("first_response_at", "crm_timestamp(first_response_at)"),
            *_optional_timestamp("resolved_at", "crm_timestamp(resolved_at)"),
            RowRule("csat", "out of range 1-5",
                    "crm_text(csat) IS NOT NULL AND coalesce(crm_number(csat) NOT BETWEEN 1 AND 5, true)"),
        ),
        business_key=("ticket_id",),
    ),
    "service_nps": StagingSpec(
        kind="service_nps",
        columns={
            "response_id": f"coalesce(crm_text(response_id), {_ROW_ID})",
            "phone_e164": "crm_phone(phone)",
            "email": "crm_email(email)",
            "survey_ts": "crm_timestamp(survey_date)",
            "nps_score": "TRY_CAST(crm_number(nps_score) AS INTEGER)",
            "comment": "crm_text(comment)",
        },
        rules=(
            *_required_timestamp("survey_date", "crm_timestamp(survey_date)"),
            _required_text("nps_score"),
            RowRule("nps_score", "out of range 0-10",
                    "crm_text(nps_score) IS NOT NULL AND coalesce(crm_number(nps_score) NOT BETWEEN 0 AND 10, true)"),
        ),
        business_key=("response_id",),
    ),
    "email_campaigns": StagingSpec(
        kind="email_campaigns",
        columns={
            "campaign_id": "crm_text(campaign_id)",
            "campaign_name": "crm_text(campaign_name)",
            "subject": "crm_text(subject)",
            "sent_at": "crm_timestamp(sent_at)",
        },
        rules=(_required_text("campaign_id"), *_optional_timestamp("sent_at", "crm_timestamp(sent_at)")),
        business_key=("campaign_id",),
    ),
    "email_events": StagingSpec(
        kind="email_events",
        columns={
            "email": "crm_email(email)",
            "campaign_id": "crm_text(campaign_id)",
            "event_type": EMAIL_EVENT,
            "event_ts": "crm_timestamp(event_time)",
        },
        rules=(
            _required_text("email"),
            RowRule("email", "invalid e-mail address", "crm_text(email) IS NOT NULL AND crm_email(email) IS NULL"),
            _required_text("event_type"),
            *_required_timestamp("event_time", "crm_timestamp(event_time)"),
        ),
        business_key=("email", "campaign_id", "event_type", "event_ts"),
    ),
}

# The specs with the shipped settings (no data-derived amount bound): column sets, keys and rule names.
SPECS: dict[str, StagingSpec] = staging_specs()
