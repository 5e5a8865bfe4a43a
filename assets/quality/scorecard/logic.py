"""The data-quality scorecard as one set-based DuckDB statement, and the written definition of every
score in it.

Each source system (sales, crm, service, email) gets five dimensions, each a ratio
``score = numerator / denominator`` (NULL when the denominator is 0, i.e. nothing to measure):

- completeness: non-empty cells ÷ cells, over the staging columns listed in ``KIND_MEASURES``;
- validity: raw rows that break no row rule ÷ raw rows (quarantined rows counted once each);
- uniqueness: staged rows ÷ valid rows delivered (duplicate deliveries included);
- consistency: agreeing pairs ÷ comparable pairs between the source and the CRM;
- timeliness: how recent the newest record on or before the as-of date is, 1 up to
  ``TIMELINESS_FULL_SCORE_DAYS`` old, falling linearly to 0 at ``TIMELINESS_ZERO_SCORE_DAYS``.

plus ``overall``, the simple mean of its non-NULL dimension scores. The ``overall`` source is, per
dimension, the simple (unweighted) mean of the four sources' non-NULL scores. ``definitions()``
spells each row out in words; the same text lands in the table's ``definition`` column.
"""

from dataclasses import dataclass
from datetime import date

import duckdb

from assets.common.sql import SqlFolder
from assets.quality.scorecard.settings import TIMELINESS_FULL_SCORE_DAYS, TIMELINESS_ZERO_SCORE_DAYS
from assets.staging.specs import SPECS

SOURCES = ("sales", "crm", "service", "email")
DIMENSIONS = ("completeness", "validity", "uniqueness", "consistency", "timeliness")
OVERALL = "overall"

_CONTACT = ("phone or e-mail", ("phone_e164", "email"))


@dataclass(frozen=True)
class KindMeasures:
    """What the scorecard measures in one staging table.

    ``columns``: (label, columns) pairs whose non-empty share is completeness; a cell counts as
    non-empty when one of its columns is (the first non-empty of them: phone, else e-mail).
    ``record_date``: the column dating a record, for timeliness; ``timestamped`` when it holds a
    time (its date is taken).
    """

    kind: str
    source: str
    columns: tuple[tuple[str, tuple[str, ...]], ...]
    record_date: str
    timestamped: bool = False


def _plain(*names: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
    return tuple((name, (name,)) for name in names)


KIND_MEASURES: tuple[KindMeasures, ...] = (
    KindMeasures("sales_order_lines", "sales", _plain("customer_name", "sku", "category", "channel", "region"),
                 "order_date"),
    KindMeasures("crm_accounts", "crm",
                 _plain("company", "contact_name", "industry", "company_size", "region", "phone_e164", "email",
                        "owner", "lead_source"),
                 "created_date"),
    KindMeasures("crm_interactions", "crm", _plain("owner", "notes"), "interaction_ts", timestamped=True),
    KindMeasures("crm_opportunities", "crm", _plain("opportunity_name", "stage", "amount", "created_date", "owner"),
                 "created_date"),
    KindMeasures("service_tickets", "service", (_CONTACT, *_plain("channel", "category", "priority", "status")),
                 "opened_at", timestamped=True),
    KindMeasures("service_nps", "service", (_CONTACT,), "survey_ts", timestamped=True),
    KindMeasures("email_campaigns", "email", _plain("campaign_name", "subject", "sent_at"), "sent_at",
                 timestamped=True),
    KindMeasures("email_events", "email", _plain("campaign_id"), "event_ts", timestamped=True),
)

SCORED_KINDS = tuple(m.kind for m in KIND_MEASURES)


def _kinds_of(source: str) -> list[KindMeasures]:
    return [m for m in KIND_MEASURES if m.source == source]


# --- definitions, in words --------------------------------------------------------------------------

_COMPLETENESS_LEFT_OUT = (
    "Left out: columns no staged row can lack (those a row rule requires, e.g. sales customer code, order "
    "date and amount, whose absence counts under validity, and those staging fills with a default, e.g. "
    "sales quantity 1 and status completed) and columns that are legitimately empty (ticket CSAT and "
    "response/resolution times, NPS comment, deal close date, a prospect's ERP code)."
)

_CONSISTENCY = {
    "sales": (
        "Share of comparable sales-vs-CRM pairs that agree. For every sales customer code linked to a CRM "
        "account through the account's ERP code (core.identity_map rule 'crm sales code'), two pairs: "
        "(1) the most frequent non-empty region on the customer's staged order lines (ties: alphabetically "
        "first) vs the CRM account's region, equal to agree; (2) the most frequent customer name on those "
        "lines vs the CRM company, equal to agree after trimming and removing a trailing 有限公司. A pair "
        "counts only when both sides are non-empty. numerator = agreeing pairs, denominator = pairs; empty "
        "when no sales code is linked to a CRM account."
    ),
    "crm": (
        "Share of CRM accounts listing an ERP (sales) customer code whose code appears on the staged sales "
        "order lines, i.e. the CRM's link into the sales system points at a real sales customer. "
        "numerator = accounts whose code is found, denominator = accounts with a code; empty when no "
        "account lists a code or there are no sales lines."
    ),
    "service": (
        "Share of staged service tickets and NPS answers carrying a phone or e-mail whose contact details "
        "agree with the CRM: the record is linked to a CRM customer (core.identity_map: same phone, else "
        "same e-mail) and every contact detail it carries equals that customer's CRM detail (phone in "
        "+86 E.164 form, lower-case e-mail; a record with both must match both on the same account). A "
        "record whose phone or e-mail no CRM account holds disagrees. The service desk records a phone or "
        "an e-mail, seldom both, so this checks that what it has is what the CRM has. numerator = agreeing "
        "records, denominator = records with a phone or e-mail; empty when there are none or the CRM has "
        "no accounts."
    ),
    "email": (
        "Share of the distinct e-mail addresses in the staged e-mail events that a CRM account holds (same "
        "lower-case address). numerator = addresses found in the CRM, denominator = distinct addresses; "
        "empty when there are no events or the CRM has no accounts."
    ),
}


def _listing(source: str, describe) -> str:
    return "; ".join(f"{m.kind}: {describe(m)}" for m in _kinds_of(source))


def definitions(
    full_days: int = TIMELINESS_FULL_SCORE_DAYS, zero_days: int = TIMELINESS_ZERO_SCORE_DAYS
) -> dict[tuple[str, str], str]:
    """The written definition of every (source, dimension) row of the scorecard."""
    span = zero_days - full_days
    result: dict[tuple[str, str], str] = {}
    for source in SOURCES:
        kinds = ", ".join(m.kind for m in _kinds_of(source))
        result[(source, "completeness")] = (
            "Share of non-empty cells, after cleaning, in these staging columns ("
            + _listing(source, lambda m: ", ".join(label for label, _ in m.columns))
            + "). Cells are pooled over the tables: numerator = non-empty cells, denominator = staged rows × "
            "listed columns. A phone or e-mail that could not be read counts as empty. " + _COMPLETENESS_LEFT_OUT
        )
        result[(source, "validity")] = (
            f"Share of the raw rows of {kinds} (every data row of every loaded export file) that break no "
            "row rule: numerator = raw rows − rows listed in quality.quarantine (a row counted once however "
            "many rules it breaks), denominator = raw rows."
        )
        result[(source, "uniqueness")] = (
            "Share of valid delivered rows that are distinct records: numerator = staged rows, denominator "
            "= raw rows that passed the row rules + the valid rows of duplicate deliveries (files logged in "
            "raw.load_log with status duplicate_delivery, i.e. the same content as a file already loaded, "
            "each counted as that loaded file's rows minus its quarantined rows). 1 − score is the share of "
            "repeated records collapsed on the business key ("
            + _listing(source, lambda m: ", ".join(SPECS[m.kind].business_key))
            + ")."
        )
        result[(source, "consistency")] = _CONSISTENCY[source]
        result[(source, "timeliness")] = (
            f"How recent the newest {source} record dated on or before the as-of date is ("
            + _listing(source, lambda m: m.record_date)
            + "). age_days = as-of date − that date, in days. Score 1 when age_days ≤ "
            f"{full_days}, falling linearly to 0 at {zero_days} days "
            f"(settings [quality] timeliness_zero_score_days) and beyond: numerator = {zero_days} − age_days "
            f"clamped to [0, {span}], denominator = {span}. Empty when the source has no dated record on or "
            "before the as-of date."
        )
        result[(source, OVERALL)] = (
            "Simple (unweighted) mean of this source's non-empty completeness, validity, uniqueness, "
            "consistency and timeliness scores: numerator = their sum, denominator = how many are "
            "non-empty; empty when all are."
        )
    for dimension in (*DIMENSIONS, OVERALL):
        result[(OVERALL, dimension)] = (
            f"Simple (unweighted) mean of the non-empty {dimension} scores of sales, crm, service and email: "
            "each system counts the same whatever its size. numerator = their sum, denominator = how many "
            "are non-empty; empty when all are."
        )
    return result


# --- SQL -------------------------------------------------------------------------------------------------

SQL = SqlFolder(__file__)


def build_scorecard(
    conn: duckdb.DuckDBPyConnection,
    as_of: date,
    full_days: int = TIMELINESS_FULL_SCORE_DAYS,
    zero_days: int = TIMELINESS_ZERO_SCORE_DAYS,
) -> None:
    """Rebuild ``quality.scorecard`` for the given analysis date (timeliness is measured against it)."""
    texts = definitions(full_days, zero_days)
    SQL.run(
        conn, "scorecard", {"kinds": KIND_MEASURES},
        as_of=as_of, full_days=full_days, zero_days=zero_days, overall=OVERALL,
        kinds=[m.kind for m in KIND_MEASURES], kind_sources=[m.source for m in KIND_MEASURES],
        sources=[*SOURCES, OVERALL], dimensions=[*DIMENSIONS, OVERALL],
        definition_sources=[s for s, _ in texts], definition_dimensions=[d for _, d in texts],
        definition_texts=list(texts.values()),
    )
