"""Invariants of the lifecycle tables, as DuckDB SQL, run as Dagster asset checks (severity ERROR).

- ``lifecycle_one_stage_per_customer`` on analytics/lifecycle (blocking): every customer is in exactly
  one known stage per snapshot.
- ``lifecycle_shares_sum_to_one`` on analytics/lifecycle: per snapshot, the stage shares over the
  customers known in core.customers add up to 100% (nobody missing, nobody extra), on exactly the
  expected snapshot dates.
- ``lifecycle_transitions_add_up`` on analytics/lifecycle_transitions: each month's transitions add up
  to the later snapshot's customers, and by from_stage to the earlier snapshot's stage counts.

Outcomes go to ``quality.validation_results`` like every other check.
"""

from collections.abc import Mapping
from datetime import date
from typing import Any

import duckdb

from assets.analytics.lifecycle.logic import STAGES, snapshot_dates
from assets.analytics.lifecycle.settings import LifecycleRules
from assets.common.sql import SqlFolder
from assets.common.vocabulary import FIRST_SEEN_STAGE
from checks.common.results import Outcome
from checks.common.running import invariant_check, query_outcome

SQL = SqlFolder(__file__)
STAGE_CODES = [s for s, _ in STAGES]
_STAGE_LIST = ", ".join(f"'{s}'" for s in STAGE_CODES)  # for the descriptions


# --- analytics.lifecycle -------------------------------------------------------------------------


def one_stage_outcomes(conn: duckdb.DuckDBPyConnection) -> list[Outcome]:
    """Each (customer, snapshot) once, with one of the seven stages."""
    queries = SQL.named("lifecycle")
    rows = conn.execute(queries["rows"]).fetchone()[0]
    return [
        query_outcome(conn, "expect_customer_and_snapshot_to_be_unique", "customer_id, snapshot_date",
                      "every customer has exactly one row (one stage) per snapshot", rows,
                      queries["duplicated_customer_snapshots"], sort_samples=False),
        query_outcome(conn, "expect_stage_to_be_in_set", "stage", f"stage is one of {_STAGE_LIST}", rows,
                      queries["unknown_stages"], {"stages": STAGE_CODES}, sort_samples=False),
    ]


def shares_outcomes(conn: duckdb.DuckDBPyConnection, as_of: date, history_months: int) -> list[Outcome]:
    """Per expected snapshot, the stage shares over the customers known by then sum to 100%; and the
    table holds exactly the expected snapshot dates."""
    expected = snapshot_dates(as_of, history_months)
    queries = SQL.named("lifecycle")
    return [
        query_outcome(conn, "expect_stage_shares_to_sum_to_one", "stage",
                      "per snapshot, Σ (customers in a stage ÷ customers known in core.customers by the "
                      "snapshot date) = 100%: a customer is known from the earlier of its CRM creation date "
                      "and first order, always when both are missing",
                      len(expected), queries["stage_shares_off_100"], {"snapshots": expected, "stages": STAGE_CODES},
                      sort_samples=False),
        query_outcome(conn, "expect_snapshot_dates_to_match_settings", "snapshot_date",
                      f"snapshot dates are the as-of date {as_of.isoformat()} and the {history_months} "
                      "month-ends before its month ([lifecycle] history_months); is_current only on the "
                      "as-of date",
                      conn.execute(queries["snapshots"]).fetchone()[0], queries["unexpected_snapshots"],
                      {"snapshots": expected, "as_of": as_of}, sort_samples=False),
    ]


# --- analytics.lifecycle_transitions -------------------------------------------------------------


def transitions_outcomes(conn: duckdb.DuckDBPyConnection) -> list[Outcome]:
    """Transitions add up to the snapshots they connect."""
    queries = SQL.named("lifecycle")
    return [
        query_outcome(conn, "expect_transitions_to_sum_to_later_snapshot", "customers",
                      "per month, Σ customers over all (from_stage, to_stage) = customers in the later "
                      "snapshot of analytics.lifecycle, and every snapshot but the first has transitions",
                      conn.execute(queries["snapshots"]).fetchone()[0], queries["transitions_off_later_snapshot"],
                      sort_samples=False),
        query_outcome(conn, "expect_transitions_to_sum_to_earlier_stages", "from_stage",
                      "per month and from_stage (except 'none'), Σ customers = customers in that stage on "
                      "the previous snapshot",
                      conn.execute(queries["transitions"]).fetchone()[0], queries["transitions_off_earlier_stages"],
                      {"first_seen_stage": FIRST_SEEN_STAGE}, sort_samples=False),
    ]


# --- the checks ----------------------------------------------------------------------------------

def lifecycle_one_stage_per_customer(conn: duckdb.DuckDBPyConnection, _as_of: date,
                                     _rules: Mapping[str, Any]) -> list[Outcome]:
    """Every customer is in exactly one lifecycle stage per snapshot: one row per (customer, snapshot
    date) and the stage is one of potential, new, reactivated, churned, at_risk, loyal, active
    (severity ERROR, blocking: the transitions and reports are not rebuilt on a broken table).
    The metadata lists sample duplicated or unstaged customers."""
    return one_stage_outcomes(conn)


def lifecycle_shares_sum_to_one(conn: duckdb.DuckDBPyConnection, as_of: date,
                                rules: Mapping[str, Any]) -> list[Outcome]:
    """Per snapshot, the stage shares add up to 100% of the customers known in core.customers by that
    date (known from the earlier of CRM creation date and first order), and the snapshot dates
    are the as-of date plus [lifecycle] history_months month-ends (severity ERROR). A failure
    means customers are missing from or extra in a snapshot; the metadata names the snapshot and
    both counts."""
    return shares_outcomes(
            conn, as_of, LifecycleRules.from_settings(rules["lifecycle"]).history_months)


def lifecycle_transitions_add_up(conn: duckdb.DuckDBPyConnection, _as_of: date,
                                 _rules: Mapping[str, Any]) -> list[Outcome]:
    """Each month's transitions add up to the customers of the later snapshot in analytics.lifecycle,
    and summed by from_stage (except 'none') to the stage counts of the earlier snapshot
    (severity ERROR). A failure means the transitions are stale: rematerialise
    analytics/lifecycle_transitions after analytics/lifecycle."""
    return transitions_outcomes(conn)


LIFECYCLE_CHECKS = [
    invariant_check("analytics.lifecycle", lifecycle_one_stage_per_customer, blocking=True),
    invariant_check(
        "analytics.lifecycle",
        lifecycle_shares_sum_to_one,
        additional_deps=["core.customers", "core.orders"],
    ),
    invariant_check(
        "analytics.lifecycle_transitions",
        lifecycle_transitions_add_up,
        additional_deps=["analytics.lifecycle"],
    ),
]
