"""Data-quality scorecard: how complete, valid, unique, consistent and fresh each source system is."""

from datetime import date

import duckdb
from dagster import MaterializeResult, MetadataValue

from assets.common.metadata import markdown_table, materialize_as_of
from assets.common.resources import PipelineSettings, Warehouse
from assets.common.table_asset import table_asset
from assets.quality.scorecard.logic import DIMENSIONS, OVERALL, SCORED_KINDS, SOURCES, build_scorecard
from assets.quality.scorecard.settings import ScorecardSettings


def _score_matrix(rows: list[tuple]) -> str:
    """Markdown table source × dimension of the scores (— for empty ones)."""
    scores = {(source, dimension): score for source, dimension, score in rows}
    columns = (*DIMENSIONS, OVERALL)
    lines = []
    for source in (*SOURCES, OVERALL):
        cells = [scores.get((source, d)) for d in columns]
        lines.append((source, *("—" if v is None else f"{v:.3f}" for v in cells)))
    return markdown_table(("source", *columns), "l" + "r" * len(columns), lines) + "\n"


@table_asset("quality.scorecard",
             deps=[*(f"staging.{kind}" for kind in SCORED_KINDS), "core.identity_map", "core.customers"])
def scorecard(warehouse: Warehouse, settings: PipelineSettings) -> MaterializeResult:
    """Data-quality scorecard: one row per (source, dimension) for the sources sales, crm, service,
    email and overall, and the dimensions completeness, validity, uniqueness, consistency,
    timeliness and overall. Columns: score (0-1), numerator, denominator, age_days (timeliness
    only), definition (the rule below, in words, for that row) and as_of. Always score = numerator ÷
    denominator; a score is empty (NULL, never 0 or 1) when its denominator is 0 because there is
    nothing to measure, e.g. a source with no exports.

    - completeness: share of non-empty cells after cleaning among the staging columns that matter:
      sales lines customer_name, sku, category, channel, region; CRM accounts company,
      contact_name, industry, company_size, region, phone_e164, email, owner, lead_source; CRM
      activities owner, notes; deals opportunity_name, stage, amount, created_date, owner; tickets
      phone or e-mail, channel, category, priority, status; NPS answers phone or e-mail; campaigns
      campaign_name, subject, sent_at; e-mail events campaign_id. Columns every staged row has
      (required ones, whose absence counts under validity, and defaulted ones such as sales
      quantity and status) and legitimately empty ones are left out.
    - validity: share of raw rows (every row of every loaded file) not in quality.quarantine,
      a row counted once however many rules it breaks.
    - uniqueness: staged rows ÷ (raw rows that passed the row rules + the valid rows of duplicate
      deliveries, i.e. files in raw.load_log with status duplicate_delivery, counted as the rows of
      the loaded file with the same content minus its quarantined rows) = 1 − share of repeated
      records collapsed.
    - consistency, per source, share of comparable pairs that agree: sales — for each sales code
      linked to a CRM account by its ERP code, the most frequent region on its order lines vs the CRM
      region, and the most frequent customer name vs the CRM company (trimmed, trailing 有限公司
      ignored); crm — accounts with an ERP code whose code appears in the sales lines; service —
      tickets and NPS answers with a phone or e-mail that are linked to a CRM customer whose phone
      and e-mail equal every contact detail the record carries; email — distinct e-mail addresses of
      the e-mail events that a CRM account holds. No CRM accounts (or nothing to compare): empty.
    - timeliness: age_days = as-of date − date of the newest record on or before it (order date,
      account created / activity / deal created date, ticket opened / NPS survey date, campaign sent /
      event time); score 1 up to 1 day old, falling linearly to 0 at 30 days (both in settings.toml
      [quality]): numerator = 30 − age_days clamped to [0, 29], denominator 29.
    - overall dimension of a source: simple mean of its non-empty dimension scores. The overall
      source: per dimension, the simple (unweighted) mean of the non-empty scores of the four
      sources, so each system counts the same whatever its size (numerator = sum of the scores,
      denominator = how many).

    The as-of date is the configured one, else the newest order date (as for customer_360); only
    timeliness depends on it.
    """

    def build(conn: duckdb.DuckDBPyConnection, as_of: date) -> dict[str, MetadataValue]:
        rules = ScorecardSettings.from_thresholds(settings.rules()["quality"])
        build_scorecard(conn, as_of, rules.timeliness_full_score_days, rules.timeliness_zero_score_days)
        rows = conn.execute("SELECT source, dimension, score FROM quality.scorecard").fetchall()
        overall = next(score for source, dimension, score in rows if source == OVERALL and dimension == OVERALL)
        return {
            "overall_score": MetadataValue.null() if overall is None else MetadataValue.float(float(overall)),
            "scores": MetadataValue.md(_score_matrix(rows)),
        }

    return materialize_as_of(warehouse, settings, "quality.scorecard", build)


QUALITY_ASSETS = [scorecard]
