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

from assets.staging.specs import SPECS

SOURCES = ("sales", "crm", "service", "email")
DIMENSIONS = ("completeness", "validity", "uniqueness", "consistency", "timeliness")
OVERALL = "overall"

TIMELINESS_FULL_SCORE_DAYS = 1
"""Default of settings.toml [quality] timeliness_full_score_days: newest record at most this many days
older than the as-of date scores timeliness 1."""
TIMELINESS_ZERO_SCORE_DAYS = 30
"""Default of settings.toml [quality] timeliness_zero_score_days: newest record this many days (or
more) older than the as-of date scores 0; linear in between."""

_CONTACT = ("phone or e-mail", "coalesce(phone_e164, email)")


@dataclass(frozen=True)
class KindMeasures:
    """What the scorecard measures in one staging table.

    ``columns``: (label, SQL expression) pairs whose non-empty share is completeness.
    ``record_date``: (label, SQL DATE expression) dating a record, for timeliness.
    """

    kind: str
    source: str
    columns: tuple[tuple[str, str], ...]
    record_date: tuple[str, str]


def _plain(*names: str) -> tuple[tuple[str, str], ...]:
    return tuple((name, name) for name in names)


KIND_MEASURES: tuple[KindMeasures, ...] = (
    KindMeasures("sales_order_lines", "sales", _plain("customer_name", "sku", "category", "channel", "region"),
                 ("order_date", "order_date")),
    KindMeasures("crm_accounts", "crm",
                 _plain("company", "contact_name", "industry", "company_size", "region", "phone_e164", "email",
                        "owner", "lead_source"),
                 ("created_date", "created_date")),
    KindMeasures("crm_interactions", "crm", _plain("owner", "notes"),
                 ("interaction_ts", "CAST(interaction_ts AS DATE)")),
    KindMeasures("crm_opportunities", "crm", _plain("opportunity_name", "stage", "amount", "created_date", "owner"),
                 ("created_date", "created_date")),
    KindMeasures("service_tickets", "service", (_CONTACT, *_plain("channel", "category", "priority", "status")),
                 ("opened_at", "CAST(opened_at AS DATE)")),
    KindMeasures("service_nps", "service", (_CONTACT,), ("survey_ts", "CAST(survey_ts AS DATE)")),
    KindMeasures("email_campaigns", "email", _plain("campaign_name", "subject", "sent_at"),
                 ("sent_at", "CAST(sent_at AS DATE)")),
    KindMeasures("email_events", "email", _plain("campaign_id"), ("event_ts", "CAST(event_ts AS DATE)")),
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
            + _listing(source, lambda m: m.record_date[0])
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


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _list(values) -> str:
    return "[" + ", ".join(_quote(v) for v in values) + "]"


def _kind_stats_sql() -> str:
    """One row per staging table: staged rows, cells checked, non-empty cells, newest record date."""
    parts = []
    for m in KIND_MEASURES:
        filled = " + ".join(f"count({expr})" for _, expr in m.columns)
        day = m.record_date[1]
        parts.append(
            f"SELECT {_quote(m.source)} AS source, count(*) AS staged_rows, count(*) * {len(m.columns)} AS cells, "
            f"{filled} AS filled_cells, max({day}) FILTER (WHERE {day} <= $as_of) AS newest "
            f"FROM staging.{m.kind}"
        )
    return "\n    UNION ALL ".join(parts)


def _raw_rows_sql() -> str:
    return "\n    UNION ALL ".join(
        f"SELECT {_quote(m.source)} AS source, count(*) AS raw_rows FROM raw.{m.kind}" for m in KIND_MEASURES
    )


def scorecard_sql(full_days: int = TIMELINESS_FULL_SCORE_DAYS, zero_days: int = TIMELINESS_ZERO_SCORE_DAYS) -> str:
    """The statement rebuilding ``quality.scorecard``; takes the parameter ``$as_of`` (a date)."""
    kind_source = ", ".join(f"({_quote(m.kind)}, {_quote(m.source)})" for m in KIND_MEASURES)
    defs = ",\n        ".join(
        f"({_quote(s)}, {_quote(d)}, {_quote(text)})" for (s, d), text in definitions(full_days, zero_days).items()
    )
    zero, full = zero_days, full_days
    sources, dims = _list((*SOURCES, OVERALL)), _list((*DIMENSIONS, OVERALL))
    name = "regexp_replace(trim({}), '有限公司$', '')"
    return f"""
CREATE OR REPLACE TABLE quality.scorecard AS
WITH kind_source(kind, source) AS (VALUES {kind_source}),
kind_stats AS (
    {_kind_stats_sql()}
),
raw_rows AS (
    {_raw_rows_sql()}
),
quarantined_rows AS (
    SELECT DISTINCT kind, source_file, sheet, row_number, loaded_at FROM quality.quarantine
),
quarantined_by_file AS (
    SELECT kind, source_file, sheet, loaded_at, count(*) AS n FROM quarantined_rows GROUP BY ALL
),
quarantined AS (
    SELECT k.source, sum(q.n) AS n FROM quarantined_by_file q JOIN kind_source k USING (kind) GROUP BY 1
),
duplicate_deliveries AS (
    SELECT k.source, sum(o.rows_read - coalesce(q.n, 0)) AS valid_rows
    FROM raw.load_log d
    JOIN raw.load_log o
      ON o.kind = d.kind AND o.file_hash = d.file_hash AND o.sheet IS NOT DISTINCT FROM d.sheet
     AND o.status = 'loaded'
    LEFT JOIN quarantined_by_file q
      ON q.kind = o.kind AND q.source_file = o.source_file AND q.sheet IS NOT DISTINCT FROM o.sheet
     AND q.loaded_at = o.loaded_at
    JOIN kind_source k ON k.kind = d.kind
    WHERE d.status = 'duplicate_delivery'
    GROUP BY 1
),
per_source AS (
    SELECT s.source, s.staged_rows, s.cells, s.filled_cells, s.newest, r.raw_rows,
           coalesce(q.n, 0) AS quarantined_rows, coalesce(d.valid_rows, 0) AS duplicate_delivery_rows
    FROM (SELECT source, sum(staged_rows) AS staged_rows, sum(cells) AS cells,
                 sum(filled_cells) AS filled_cells, max(newest) AS newest
          FROM kind_stats GROUP BY source) s
    JOIN (SELECT source, sum(raw_rows) AS raw_rows FROM raw_rows GROUP BY source) r USING (source)
    LEFT JOIN quarantined q USING (source)
    LEFT JOIN duplicate_deliveries d USING (source)
),
crm_linked_codes AS (
    SELECT m.source_key AS customer_code, c.company, c.region
    FROM core.identity_map m JOIN core.customers c USING (customer_id)
    WHERE m.source = 'sales_order_lines' AND m.match_rule = 'crm sales code' AND c.crm_account_id IS NOT NULL
),
sales_region AS (
    SELECT customer_code, region
    FROM (SELECT customer_code, region, count(*) AS n FROM staging.sales_order_lines
          WHERE region IS NOT NULL AND customer_code IS NOT NULL GROUP BY ALL)
    QUALIFY row_number() OVER (PARTITION BY customer_code ORDER BY n DESC, region) = 1
),
sales_name AS (
    SELECT customer_code, customer_name
    FROM (SELECT customer_code, customer_name, count(*) AS n FROM staging.sales_order_lines
          WHERE customer_name IS NOT NULL AND customer_code IS NOT NULL GROUP BY ALL)
    QUALIFY row_number() OVER (PARTITION BY customer_code ORDER BY n DESC, customer_name) = 1
),
sales_pairs AS (
    SELECT s.region = l.region AS agree
    FROM crm_linked_codes l JOIN sales_region s USING (customer_code) WHERE l.region IS NOT NULL
    UNION ALL
    SELECT {name.format('s.customer_name')} = {name.format('l.company')}
    FROM crm_linked_codes l JOIN sales_name s USING (customer_code) WHERE l.company IS NOT NULL
),
crm_pairs AS (
    SELECT s.source_key IS NOT NULL AS agree
    FROM staging.crm_accounts a
    LEFT JOIN (SELECT source_key FROM core.identity_map WHERE source = 'sales_order_lines') s
      ON s.source_key = a.sales_customer_code
    WHERE a.sales_customer_code IS NOT NULL AND EXISTS (SELECT 1 FROM staging.sales_order_lines)
),
service_records AS (
    SELECT 'service_tickets' AS source, ticket_id AS source_key, phone_e164, email FROM staging.service_tickets
    UNION ALL
    SELECT 'service_nps', response_id, phone_e164, email FROM staging.service_nps
),
service_pairs AS (
    SELECT coalesce(m.customer_id IS NOT NULL
                    AND (r.phone_e164 IS NULL OR r.phone_e164 = c.phone_e164)
                    AND (r.email IS NULL OR r.email = c.email), false) AS agree
    FROM service_records r
    LEFT JOIN core.identity_map m ON m.source = r.source AND m.source_key = r.source_key
    LEFT JOIN core.customers c ON c.customer_id = m.customer_id AND c.crm_account_id IS NOT NULL
    WHERE (r.phone_e164 IS NOT NULL OR r.email IS NOT NULL) AND EXISTS (SELECT 1 FROM staging.crm_accounts)
),
email_pairs AS (
    SELECT c.email IS NOT NULL AS agree
    FROM (SELECT DISTINCT email FROM staging.email_events WHERE email IS NOT NULL) e
    LEFT JOIN (SELECT DISTINCT email FROM staging.crm_accounts WHERE email IS NOT NULL) c ON c.email = e.email
    WHERE EXISTS (SELECT 1 FROM staging.crm_accounts)
),
consistency AS (
    SELECT 'sales' AS source, count(*) FILTER (WHERE agree) AS numerator, count(*) AS denominator FROM sales_pairs
    UNION ALL SELECT 'crm', count(*) FILTER (WHERE agree), count(*) FROM crm_pairs
    UNION ALL SELECT 'service', count(*) FILTER (WHERE agree), count(*) FROM service_pairs
    UNION ALL SELECT 'email', count(*) FILTER (WHERE agree), count(*) FROM email_pairs
),
measures AS (
    SELECT source, 'completeness' AS dimension, CAST(filled_cells AS DOUBLE) AS numerator,
           CAST(cells AS BIGINT) AS denominator, CAST(NULL AS BIGINT) AS age_days
    FROM per_source
    UNION ALL
    SELECT source, 'validity', raw_rows - quarantined_rows, raw_rows, NULL FROM per_source
    UNION ALL
    SELECT source, 'uniqueness', staged_rows, raw_rows - quarantined_rows + duplicate_delivery_rows, NULL
    FROM per_source
    UNION ALL
    SELECT source, 'consistency', numerator, denominator, NULL FROM consistency
    UNION ALL
    SELECT source, 'timeliness',
           CASE WHEN newest IS NULL THEN 0
                ELSE least({zero - full}, greatest(0, {zero} - date_diff('day', newest, $as_of))) END,
           CASE WHEN newest IS NULL THEN 0 ELSE {zero - full} END,
           date_diff('day', newest, $as_of)
    FROM per_source
),
scored AS (
    SELECT *, CASE WHEN denominator > 0 THEN numerator / denominator END AS score FROM measures
),
with_source_overall AS (
    SELECT source, dimension, numerator, denominator, age_days, score FROM scored
    UNION ALL
    SELECT source, '{OVERALL}', coalesce(sum(score ORDER BY list_position({dims}, dimension)), 0),
           count(score), NULL, NULL
    FROM scored GROUP BY source
),
source_rows AS (
    SELECT source, dimension, numerator, denominator, age_days,
           CASE WHEN denominator > 0 THEN numerator / denominator END AS score
    FROM with_source_overall
),
all_rows AS (
    SELECT source, dimension, numerator, denominator, age_days FROM source_rows
    UNION ALL
    SELECT '{OVERALL}', dimension, coalesce(sum(score ORDER BY list_position({sources}, source)), 0),
           count(score), NULL
    FROM source_rows GROUP BY dimension
),
definitions(source, dimension, definition) AS (
    VALUES
        {defs}
)
SELECT a.source, a.dimension,
       CASE WHEN a.denominator > 0 THEN a.numerator / a.denominator END AS score,
       CAST(a.numerator AS DOUBLE) AS numerator, CAST(a.denominator AS BIGINT) AS denominator,
       CAST(a.age_days AS INTEGER) AS age_days, d.definition, CAST($as_of AS DATE) AS as_of
FROM all_rows a JOIN definitions d USING (source, dimension)
ORDER BY list_position({sources}, a.source), list_position({dims}, a.dimension)
"""


def build_scorecard(
    conn: duckdb.DuckDBPyConnection,
    as_of: date,
    full_days: int = TIMELINESS_FULL_SCORE_DAYS,
    zero_days: int = TIMELINESS_ZERO_SCORE_DAYS,
) -> None:
    """Rebuild ``quality.scorecard`` for the given analysis date (timeliness is measured against it)."""
    conn.execute(scorecard_sql(full_days, zero_days), {"as_of": as_of})
