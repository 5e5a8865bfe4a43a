"""How each raw export becomes a typed staging table: the typed columns, the row rules whose
failures send a row to quarantine, and the business key used to collapse re-delivered rows.

The SQL of each kind's typed columns and of each rule's test is in ``sql/typed.sql`` (see
``sql/crm_macros.sql`` for the crm_* macros); a spec names them: the columns in their order, and per
rule the raw column, the quarantine rule text and the test (``RowRule.check``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from assets.staging.date_order import UNDECIDED_RULE
from assets.staging.numbers import NUMBER_PROBLEMS, NumberColumns, NumberInputs
from assets.staging.plausibility import AmountBound, default_amount_bound

# The tests of sql/typed.sql a rule can name (RowRule.check).
CHECKS = (
    "required", "undecided_date", "unparseable_date", "amount_required", "implausible_amount", "out_of_range",
    "invalid_email", *(code.replace(" ", "_") for code in NUMBER_PROBLEMS),
)


@dataclass(frozen=True)
class RowRule:
    """A row-level rule: rows failing the test ``check`` of sql/typed.sql on ``column`` (between
    ``bounds``, for ``out_of_range``) go to quarantine with this rule name."""

    column: str
    rule: str
    check: str
    bounds: tuple[int, int] | None = None

    def __post_init__(self) -> None:
        if self.check not in CHECKS:
            raise ValueError(f"unknown row rule check {self.check!r}: one of {', '.join(CHECKS)}")


@dataclass(frozen=True)
class StagingSpec:
    """Typed columns, row rules and business key of one staging table."""

    kind: str
    columns: tuple[str, ...]
    rules: tuple[RowRule, ...]
    business_key: tuple[str, ...]
    # The number columns, read with their decimal separator in each file (numbers.py), when the kind has some.
    numbers: NumberColumns | None = None
    # The plausibility bound of an amount, for a kind with the implausible_amount rule.
    amount_bound: Decimal | None = None
    # [staging] date_order: day/month order of files whose dates do not show it (date_order.py).
    date_order: str = "auto"

    def date_columns(self) -> list[str]:
        """The raw columns read as timestamps (every one has the undecided day/month rule), in order."""
        return list(dict.fromkeys(r.column for r in self.rules if r.check == "undecided_date"))


def _required_timestamp(raw: str) -> tuple[RowRule, ...]:
    return (_required_text(raw), *_timestamp_rules(raw))


def _optional_timestamp(raw: str) -> tuple[RowRule, ...]:
    return _timestamp_rules(raw)


def _timestamp_rules(raw: str) -> tuple[RowRule, ...]:
    """A date that cannot be read: its day/month order unknown (see date_order.py), or no known layout."""
    return (RowRule(raw, UNDECIDED_RULE, "undecided_date"), RowRule(raw, "unparseable date", "unparseable_date"))


def _required_text(raw: str) -> RowRule:
    return RowRule(raw, "required value missing", "required")


def _readable_number(raw: str) -> tuple[RowRule, ...]:
    """A present value must be a number readable with its column's decimal separator."""
    return tuple(RowRule(raw, rule, code.replace(" ", "_")) for code, rule in NUMBER_PROBLEMS.items())


SALES_NUMBER_COLUMNS = ("quantity", "unit_price", "discount", "amount")
OPPORTUNITY_NUMBER_COLUMNS = ("amount",)


def _sales_order_lines(numbers: NumberColumns, amount_bound: AmountBound) -> StagingSpec:
    # Columns without an id, a line number or an amount are filled in sql/typed.sql: the row's content
    # as its id, the line's place in its order, quantity × unit price − discount.
    return StagingSpec(
        kind="sales_order_lines",
        columns=("order_id", "line_no", "customer_code", "customer_name", "order_ts", "order_date", "sku",
                 "product_name", "category", "quantity", "unit_price", "discount", "amount", "channel", "region",
                 "status", "amount_mismatch"),
        rules=(
            _required_text("customer_code"),
            *_required_timestamp("order_date"),
            RowRule("amount", "required value missing", "amount_required"),
            *_readable_number("amount"),
            RowRule("amount", amount_bound.rule, "implausible_amount"),
            *(rule for column in ("quantity", "unit_price", "discount") for rule in _readable_number(column)),
        ),
        business_key=("order_id", "line_no"),
        numbers=numbers,
        amount_bound=amount_bound.value,
    )


def _crm_opportunities(numbers: NumberColumns) -> StagingSpec:
    return StagingSpec(
        kind="crm_opportunities",
        columns=("opportunity_id", "account_id", "opportunity_name", "stage", "amount", "created_date", "close_date",
                 "status", "owner"),
        rules=(
            _required_text("opportunity_id"),
            _required_text("account_id"),
            *_optional_timestamp("created_date"),
            *_optional_timestamp("close_date"),
            *_readable_number("amount"),
        ),
        business_key=("opportunity_id",),
        numbers=numbers,
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
        columns=("account_id", "sales_customer_code", "contact_name", "company", "industry", "company_size", "region",
                 "phone_e164", "email", "created_date", "lead_source", "owner"),
        rules=(_required_text("account_id"), *_optional_timestamp("created_date")),
        business_key=("account_id",),
    ),
    "crm_interactions": StagingSpec(
        kind="crm_interactions",
        columns=("interaction_id", "account_id", "interaction_type", "interaction_ts", "owner", "notes"),
        rules=(
            _required_text("account_id"),
            _required_text("interaction_type"),
            *_required_timestamp("interaction_date"),
        ),
        business_key=("interaction_id",),
    ),
}

_SERVICE_AND_EMAIL_SPECS: dict[str, StagingSpec] = {
    "service_tickets": StagingSpec(
        kind="service_tickets",
        columns=("ticket_id", "phone_e164", "email", "opened_at", "first_response_at", "resolved_at", "channel",
                 "category", "priority", "status", "csat"),
        rules=(
            _required_text("ticket_id"),
            *_required_timestamp("opened_at"),
            *_optional_timestamp("first_response_at"),
            *_optional_timestamp("resolved_at"),
            RowRule("csat", "out of range 1-5", "out_of_range", (1, 5)),
        ),
        business_key=("ticket_id",),
    ),
    "service_nps": StagingSpec(
        kind="service_nps",
        columns=("response_id", "phone_e164", "email", "survey_ts", "nps_score", "comment"),
        rules=(
            *_required_timestamp("survey_date"),
            _required_text("nps_score"),
            RowRule("nps_score", "out of range 0-10", "out_of_range", (0, 10)),
        ),
        business_key=("response_id",),
    ),
    "email_campaigns": StagingSpec(
        kind="email_campaigns",
        columns=("campaign_id", "campaign_name", "subject", "sent_at"),
        rules=(_required_text("campaign_id"), *_optional_timestamp("sent_at")),
        business_key=("campaign_id",),
    ),
    "email_events": StagingSpec(
        kind="email_events",
        columns=("email", "campaign_id", "event_type", "event_ts"),
        rules=(
            _required_text("email"),
            RowRule("email", "invalid e-mail address", "invalid_email"),
            _required_text("event_type"),
            *_required_timestamp("event_time"),
        ),
        business_key=("email", "campaign_id", "event_type", "event_ts"),
    ),
}

# The specs with the shipped settings (no data-derived amount bound): column sets, keys and rule names.
SPECS: dict[str, StagingSpec] = staging_specs()
