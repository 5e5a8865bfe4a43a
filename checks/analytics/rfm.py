"""Invariants of analytics.rfm, run as Dagster asset checks (severity ERROR).

- ``rfm_every_buyer_in_one_segment``: every customer with a completed order in the RFM window has
  exactly one row, with scores 1..bins, one of the configured segment names and a value tier; nobody
  else is in the table.
- ``rfm_revenue_shares_sum_to_100``: revenue shares add up to 100%, the cumulative share ends at 100%,
  and class A covers at least ``rfm.abc_a_share`` of revenue.

Outcomes are appended to ``quality.validation_results`` like every other check.
"""

from collections.abc import Mapping
from datetime import date
from typing import Any

import duckdb

from assets.analytics.rfm.settings import RfmSettings
from assets.common.sql import SqlFolder
from checks.common.results import Outcome, comparison_outcome, within_tolerance_outcome
from checks.common.running import invariant_check, query_outcome

SHARE_TOLERANCE = 1e-6
# The checks' queries, from sql/rfm.sql.
SQL = SqlFolder(__file__)
QUERIES = SQL.named("rfm")


def segment_outcomes(conn: duckdb.DuckDBPyConnection, as_of: date, settings: RfmSettings) -> list[Outcome]:
    """Every buyer in the window in exactly one valid segment, nobody else."""
    window = {"as_of": as_of, "lookback_days": int(settings.lookback_days)}
    total = conn.execute(QUERIES["buyers"], window).fetchone()[0]
    rows = conn.execute(QUERIES["rows"]).fetchone()[0]
    bins = int(settings.bins)
    return [
        query_outcome(
            conn, expectation="expect_every_buyer_in_rfm", column="customer_id",
            description="every customer with a completed order in the window has an rfm row",
            total=total, params=window, failing_sql=QUERIES["buyer_missing"],
        ),
        query_outcome(
            conn, expectation="expect_only_buyers_in_rfm", column="customer_id",
            description="every rfm row is a customer with a completed order in the window",
            total=rows, params=window, failing_sql=QUERIES["not_a_buyer"],
        ),
        query_outcome(
            conn, expectation="expect_one_row_per_customer", column="customer_id",
            description="no customer has more than one rfm row (so exactly one segment)", total=rows,
            failing_sql=QUERIES["repeated_customer"],
        ),
        query_outcome(
            conn, expectation="expect_segment_in_scheme", column="segment",
            description="segment is one of the configured [[rfm.segments]] names", total=rows,
            failing_sql=QUERIES["segment_not_in_scheme"], params={"segment_names": settings.segment_names()},
        ),
        query_outcome(
            conn, expectation="expect_scores_in_range", column="r_score, f_score, m_score, fm_score",
            description=f"r, f, m and fm scores are between 1 and {bins}", total=rows,
            failing_sql=QUERIES["score_out_of_range"], params={"bins": bins},
        ),
        query_outcome(
            conn, expectation="expect_value_tier_and_abc_class", column="value_tier, abc_class",
            description="value_tier is high/normal/low and abc_class is A/B/C", total=rows,
            failing_sql=QUERIES["bad_tier_or_class"],
        ),
    ]


def share_outcomes(conn: duckdb.DuckDBPyConnection, settings: RfmSettings) -> list[Outcome]:
    """Revenue shares add up to 100% and class A covers at least the A threshold."""
    rows, total_revenue, share_sum, last_cumulative, a_share = conn.execute(QUERIES["shares"]).fetchone()
    has_revenue = rows > 0 and total_revenue > 0
    expected = 1.0 if has_revenue else 0.0
    what = "100%" if has_revenue else "0 (no revenue in the window)"
    outcomes = [
        within_tolerance_outcome(expectation, column, description, element_count=rows, value=value,
                                 expected=expected, tolerance=SHARE_TOLERANCE)
        for expectation, column, value, description in (
            ("expect_revenue_shares_sum_to_1", "revenue_share", share_sum, f"revenue shares add up to {what}"),
            ("expect_cumulative_share_ends_at_1", "cumulative_revenue_share", last_cumulative,
             f"the cumulative revenue share of the last customer is {what}"),
        )
    ]
    ok = not has_revenue or float(a_share) >= settings.abc_a_share - SHARE_TOLERANCE
    outcomes.append(comparison_outcome(
        "expect_class_a_covers_threshold", "abc_class",
        f"class A customers bring at least {settings.abc_a_share:.0%} of revenue (rfm.abc_a_share)",
        element_count=rows, failure=None if ok else f"A share {float(a_share):.6f}",
    ))
    return outcomes


def _rfm_settings(rules: Mapping[str, Any]) -> RfmSettings:
    return RfmSettings.from_thresholds(rules.get("rfm", {}))


def rfm_every_buyer_in_one_segment(conn: duckdb.DuckDBPyConnection, as_of: date,
                                   rules: Mapping[str, Any]) -> list[Outcome]:
    """Every customer with a completed order in the RFM window (rfm.lookback_days up to the as-of date)
    has exactly one analytics.rfm row, and nobody else does; each row has scores between 1 and
    rfm.bins, a segment from the configured [[rfm.segments]] names, a value tier
    (high/normal/low) and an ABC class (severity ERROR). A failure means segment counts in
    reports are wrong: rematerialise analytics/rfm after core/orders; the metadata lists sample
    customers."""
    return segment_outcomes(conn, as_of, _rfm_settings(rules))


def rfm_revenue_shares_sum_to_100(conn: duckdb.DuckDBPyConnection, as_of: date,
                                  rules: Mapping[str, Any]) -> list[Outcome]:
    """The customers' revenue shares add up to 100% (within 0.0001%), the cumulative share of the last
    customer in the Pareto ranking is 100%, and the A class brings at least rfm.abc_a_share of
    revenue (severity ERROR). With no revenue in the window every share is 0."""
    return share_outcomes(conn, _rfm_settings(rules))


RFM_CHECKS = [
    invariant_check("analytics.rfm", rfm_every_buyer_in_one_segment, additional_deps=["core.orders"]),
    invariant_check("analytics.rfm", rfm_revenue_shares_sum_to_100),
]
