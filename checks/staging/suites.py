"""The data-quality suites of the staging tables, as data: what each staging table must look like.

One suite per staging table (the keys of ``assets.staging.specs.SPECS``). Every expectation is a
Great Expectations 1.x expectation (class name + arguments) tagged

- **blocking** (severity ERROR): the table is unusable when it fails: wrong column set or types,
  a business key missing or not unique, a required value missing. The ``gx_blocking`` asset check
  of the table fails and Dagster does not build the core tables from it in that run.
- **advisory** (severity WARN): the table is usable but something looks wrong: a status, channel or
  category outside the known list, an amount or score out of range, a date after the analysis
  date, a ticket resolved before it was opened. The ``gx_advisory`` check warns; nothing stops.

Values that depend on the run come in as GX suite parameters (``{"$PARAMETER": name}``):
``as_of_end`` (the first instant after the as-of date) and ``max_order_line_amount`` /
``min_order_line_amount`` (the plausibility bound of an order line's amount, as the staging build
used it). This module imports neither GX nor Dagster: it is plain data that tests and the docs can
read cheaply.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from assets.staging.settings import DEFAULT_FLOOR, PlausibilitySettings
from assets.staging.specs import SPECS

# Plausibility bound of one sales order line's amount, in CNY, when neither the settings file
# (``[quality] max_order_line_amount``) nor a staging build (quality.amount_bounds, derived from the
# amounts: see assets/staging/plausibility.py) gives one: the smallest bound the build ever uses.
# Staging quarantines amounts beyond the bound, so the advisory check fails only when the table
# no longer matches the bound (the setting was lowered after the build, or the table was changed).
DEFAULT_MAX_ORDER_LINE_AMOUNT = int(DEFAULT_FLOOR)

# Share of sales lines that must carry a known channel before the advisory check warns: new sales
# channels (a new marketplace) appear in exports before anyone updates the list below.
KNOWN_CHANNEL_SHARE = 0.95

AS_OF_END = "as_of_end"
MAX_ORDER_LINE_AMOUNT = "max_order_line_amount"
MIN_ORDER_LINE_AMOUNT = "min_order_line_amount"

# Columns every staging table carries besides its typed columns: where the row came from.
LINEAGE_COLUMNS: tuple[str, ...] = ("_source_file", "_sheet", "_row_number", "_loaded_at")

# Value sets the sample-data generator and the staging normalisation produce.
ORDER_STATUSES = ("completed", "refunded", "cancelled")
SALES_CHANNELS = ("Tmall", "JD", "WeChat Mini Program", "Offline Store", "Direct Sales", "Distributor")
REGIONS = ("华东", "华北", "华南", "华中", "西南", "西北", "东北")
INTERACTION_TYPES = ("call", "visit", "meeting", "wechat", "email")
OPPORTUNITY_STATUSES = ("won", "lost", "open")
TICKET_CATEGORIES = ("Complaint", "Inquiry", "Technical Issue", "Return & Refund", "Delivery")
TICKET_PRIORITIES = ("Low", "Medium", "High", "Urgent")
TICKET_STATUSES = ("Open", "Pending", "Resolved", "Closed")
TICKET_CHANNELS = ("Phone", "Email", "WeChat", "Web")
EMAIL_EVENT_TYPES = ("sent", "delivered", "open", "click", "bounce", "unsubscribe")

# pandas dtypes a DuckDB column arrives as (``conn.execute(sql).df()``): INTEGER is int32, or the
# nullable Int32 when the column holds NULLs; DECIMAL and DOUBLE are float64; DATE and TIMESTAMP are
# datetime64 (validation converts them to nanoseconds, see gx_validation).
_INTEGER = ("int8", "int16", "int32", "int64", "Int8Dtype", "Int16Dtype", "Int32Dtype", "Int64Dtype")
TYPE_FAMILIES: dict[str, tuple[str, ...]] = {
    "integer": _INTEGER,
    "number": (*_INTEGER, "float32", "float64", "Float32Dtype", "Float64Dtype"),
    "timestamp": ("datetime64[ns]", "datetime64[us]", "datetime64[ms]", "datetime64[s]"),
}


@dataclass(frozen=True)
class Expectation:
    """One GX expectation of a suite: its class in ``great_expectations.expectations``, its
    arguments, whether a failure blocks downstream tables, and what it guarantees in business words.

    ``scope`` "schema" expectations look only at the table's columns (they are validated on a
    zero-row frame holding every column); "rows" expectations at the values of the columns they
    name, which are the only columns read.
    """

    gx_type: str
    kwargs: Mapping[str, Any]
    blocking: bool
    description: str
    scope: str = "rows"
    meta: Mapping[str, Any] = field(default_factory=dict)

    @property
    def name(self) -> str:
        """The expectation's snake_case name, e.g. ``expect_column_values_to_be_in_set``."""
        return re.sub(r"(?<!^)(?=[A-Z])", "_", self.gx_type).lower()

    @property
    def columns(self) -> tuple[str, ...]:
        """The columns whose values the expectation reads."""
        if "column" in self.kwargs:
            return (self.kwargs["column"],)
        if "column_list" in self.kwargs:
            return tuple(self.kwargs["column_list"])
        if "column_A" in self.kwargs:
            return (self.kwargs["column_A"], self.kwargs["column_B"])
        return ()

    @property
    def column_label(self) -> str | None:
        """The column(s) as shown in results: ``status``, ``order_id, line_no``; None for the table."""
        return ", ".join(self.columns) or None

    @property
    def parameters(self) -> frozenset[str]:
        """Names of the suite parameters the expectation needs at run time."""
        return frozenset(
            value["$PARAMETER"] for value in self.kwargs.values() if isinstance(value, dict) and "$PARAMETER" in value
        )


def column_set(kind: str) -> tuple[str, ...]:
    """The exact columns of ``staging.<kind>``: the spec's typed columns, then the lineage columns."""
    return (*SPECS[kind].columns, *LINEAGE_COLUMNS)


def _columns_match(kind: str) -> Expectation:
    return Expectation(
        "ExpectTableColumnsToMatchSet",
        {"column_set": list(column_set(kind)), "exact_match": True},
        blocking=True,
        description="the table has exactly the columns the pipeline expects (none missing, none extra)",
        scope="schema",
    )


def _not_null(column: str) -> Expectation:
    return Expectation(
        "ExpectColumnValuesToNotBeNull", {"column": column}, blocking=True,
        description=f"every row has a {column}",
    )


def _unique_key(kind: str) -> Expectation:
    key = SPECS[kind].business_key
    if len(key) == 1:
        return Expectation(
            "ExpectColumnValuesToBeUnique", {"column": key[0]}, blocking=True,
            description=f"each {key[0]} appears once (one row per business record)",
        )
    return Expectation(
        "ExpectCompoundColumnsToBeUnique", {"column_list": list(key)}, blocking=True,
        description=f"each ({', '.join(key)}) appears once (one row per business record)",
    )


def _of_type(column: str, family: str) -> Expectation:
    return Expectation(
        "ExpectColumnValuesToBeInTypeList", {"column": column, "type_list": list(TYPE_FAMILIES[family])},
        blocking=True, description=f"{column} holds {family} values, not text",
    )


def _in_set(column: str, values: tuple[str, ...], what: str, mostly: float | None = None) -> Expectation:
    kwargs: dict[str, Any] = {"column": column, "value_set": list(values)}
    share = ""
    if mostly is not None:
        kwargs["mostly"] = mostly
        share = f" (at least {mostly:.0%} of the rows)"
    return Expectation(
        "ExpectColumnValuesToBeInSet", kwargs, blocking=False,
        description=f"{column} is a known {what}{share}: {', '.join(values)}",
    )


def _between(column: str, description: str, **bounds: Any) -> Expectation:
    return Expectation("ExpectColumnValuesToBeBetween", {"column": column, **bounds}, blocking=False,
                       description=description)


def _not_after_as_of(column: str) -> Expectation:
    return _between(
        column, f"{column} is not after the analysis (as-of) date",
        max_value={"$PARAMETER": AS_OF_END}, strict_max=True,
    )


def _not_before(later: str, earlier: str) -> Expectation:
    return Expectation(
        "ExpectColumnPairValuesAToBeGreaterThanB",
        {"column_A": later, "column_B": earlier, "or_equal": True, "ignore_row_if": "either_value_is_missing"},
        blocking=False, description=f"{later} is not before {earlier} where both are known",
    )


def _blocking(kind: str, required: tuple[str, ...], types: Mapping[str, str]) -> list[Expectation]:
    return [
        _columns_match(kind),
        *(_not_null(c) for c in required),
        _unique_key(kind),
        *(_of_type(c, family) for c, family in types.items()),
    ]


SUITES: dict[str, tuple[Expectation, ...]] = {
    "sales_order_lines": (
        *_blocking(
            "sales_order_lines",
            required=("order_id", "line_no", "customer_code", "order_ts", "order_date", "amount", "quantity"),
            types={"line_no": "integer", "quantity": "number", "amount": "number", "order_ts": "timestamp",
                   "order_date": "timestamp"},
        ),
        _in_set("status", ORDER_STATUSES, "order status"),
        _in_set("channel", SALES_CHANNELS, "sales channel", mostly=KNOWN_CHANNEL_SHARE),
        _in_set("region", REGIONS, "region"),
        _between("amount", f"amount (a refund's too) is within the plausibility bound the staging build used "
                           f"([quality] {MAX_ORDER_LINE_AMOUNT}, by default derived from the amounts)",
                 min_value={"$PARAMETER": MIN_ORDER_LINE_AMOUNT}, max_value={"$PARAMETER": MAX_ORDER_LINE_AMOUNT}),
        _between("quantity", "quantity is more than 0", min_value=0, strict_min=True),
        Expectation(
            "ExpectColumnValuesToBeInSet", {"column": "amount_mismatch", "value_set": [False], "mostly": 0.99},
            blocking=False,
            description="quantity × unit price − discount equals the amount within ¥0.01 (at least 99% of lines)",
        ),
        _not_after_as_of("order_ts"),
    ),
    "crm_accounts": (
        *_blocking("crm_accounts", required=("account_id",), types={"created_date": "timestamp"}),
        _in_set("region", REGIONS, "region"),
        _not_after_as_of("created_date"),
    ),
    "crm_interactions": (
        *_blocking("crm_interactions", required=("interaction_id", "account_id", "interaction_type", "interaction_ts"),
                   types={"interaction_ts": "timestamp"}),
        _in_set("interaction_type", INTERACTION_TYPES, "interaction type"),
        _not_after_as_of("interaction_ts"),
    ),
    "crm_opportunities": (
        *_blocking("crm_opportunities", required=("opportunity_id", "account_id", "status"),
                   types={"amount": "number", "created_date": "timestamp", "close_date": "timestamp"}),
        _in_set("status", OPPORTUNITY_STATUSES, "opportunity status"),
        _between("amount", "amount is not negative", min_value=0),
        _not_after_as_of("created_date"),
    ),
    "service_tickets": (
        *_blocking("service_tickets", required=("ticket_id", "opened_at"),
                   types={"opened_at": "timestamp", "first_response_at": "timestamp", "resolved_at": "timestamp",
                          "csat": "integer"}),
        _in_set("category", TICKET_CATEGORIES, "ticket category"),
        _in_set("priority", TICKET_PRIORITIES, "ticket priority"),
        _in_set("status", TICKET_STATUSES, "ticket status"),
        _in_set("channel", TICKET_CHANNELS, "service channel"),
        _between("csat", "CSAT is a score from 1 to 5", min_value=1, max_value=5),
        _not_after_as_of("opened_at"),
        _not_before("resolved_at", "opened_at"),
    ),
    "service_nps": (
        *_blocking("service_nps", required=("response_id", "survey_ts", "nps_score"),
                   types={"survey_ts": "timestamp", "nps_score": "integer"}),
        _between("nps_score", "NPS answer is a score from 0 to 10", min_value=0, max_value=10),
        _not_after_as_of("survey_ts"),
    ),
    "email_campaigns": (
        *_blocking("email_campaigns", required=("campaign_id",), types={"sent_at": "timestamp"}),
        _not_after_as_of("sent_at"),
    ),
    "email_events": (
        *_blocking("email_events", required=("email", "event_type", "event_ts"), types={"event_ts": "timestamp"}),
        _in_set("event_type", EMAIL_EVENT_TYPES, "e-mail event"),
        _not_after_as_of("event_ts"),
    ),
}


def suite_for(kind: str, blocking: bool) -> tuple[Expectation, ...]:
    """The blocking (ERROR) or the advisory (WARN) part of a staging table's suite."""
    return tuple(e for e in SUITES[kind] if e.blocking == blocking)


def suite_parameters(as_of: date, thresholds: Mapping[str, Any] | None = None,
                     built_amount_bound: Decimal | None = None) -> dict[str, Any]:
    """Run-time values of the suite parameters: the end of the as-of day and the amount bound - the
    settings file's number, else the bound the last staging build derived, else the default."""
    fixed = PlausibilitySettings.from_thresholds(thresholds).max_order_line_amount
    bound = float(next(b for b in (fixed, built_amount_bound, DEFAULT_MAX_ORDER_LINE_AMOUNT) if b is not None))
    return {
        AS_OF_END: datetime.combine(as_of + timedelta(days=1), time.min),
        MAX_ORDER_LINE_AMOUNT: bound,
        MIN_ORDER_LINE_AMOUNT: -bound,
    }
