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

from datetime import date

import duckdb
from dagster import AssetKey

from assets.analytics.lifecycle.logic import STAGES, snapshot_dates
from assets.analytics.lifecycle.settings import LifecycleRules
from assets.common.sql import SqlFolder
from assets.common.vocabulary import FIRST_SEEN_STAGE
from checks.common.results import SAMPLE_LIMIT, Outcome, masked_samples
from checks.common.running import invariant_check

SQL = SqlFolder(__file__)
STAGE_CODES = [s for s, _ in STAGES]
_STAGE_LIST = ", ".join(f"'{s}'" for s in STAGE_CODES)  # for the descriptions


def outcome_of(conn: duckdb.DuckDBPyConnection, *, expectation: str, column: str | None, description: str,
               total_sql: str, failing_sql: str, parameters: dict | None = None) -> Outcome:
    """An Outcome from two queries: the number of elements checked, and the failing elements (one
    column ``sample`` per failing element, in a stable order)."""
    def used(sql: str) -> dict:  # DuckDB refuses parameters a statement does not use
        return {k: v for k, v in (parameters or {}).items() if f"${k}" in sql}

    total = int(conn.execute(total_sql, used(total_sql)).fetchone()[0])
    failing = conn.execute(f"SELECT count(*) FROM ({failing_sql})", used(failing_sql)).fetchone()[0]
    samples = conn.execute(f"SELECT sample FROM ({failing_sql}) LIMIT {SAMPLE_LIMIT}", used(failing_sql)).fetchall()
    return Outcome(
        expectation=expectation,
        column=column,
        description=description,
        success=failing == 0,
        element_count=total,
        unexpected_count=int(failing),
        unexpected_percent=100.0 * failing / total if total else 0.0,
        samples=masked_samples((s[0] for s in samples), column=None),
    )


# --- analytics.lifecycle -------------------------------------------------------------------------


def one_stage_outcomes(conn: duckdb.DuckDBPyConnection) -> list[Outcome]:
    """Each (customer, snapshot) once, with one of the seven stages."""
    failing = SQL.named("lifecycle")
    return [
        outcome_of(
            conn,
            expectation="expect_customer_and_snapshot_to_be_unique",
            column="customer_id, snapshot_date",
            description="every customer has exactly one row (one stage) per snapshot",
            total_sql="SELECT count(*) FROM analytics.lifecycle",
            failing_sql=failing["duplicated_customer_snapshots"],
        ),
        outcome_of(
            conn,
            expectation="expect_stage_to_be_in_set",
            column="stage",
            description=f"stage is one of {_STAGE_LIST}",
            total_sql="SELECT count(*) FROM analytics.lifecycle",
            failing_sql=failing["unknown_stages"],
            parameters={"stages": STAGE_CODES},
        ),
    ]


def shares_outcomes(conn: duckdb.DuckDBPyConnection, as_of: date, history_months: int) -> list[Outcome]:
    """Per expected snapshot, the stage shares over the customers known by then sum to 100%; and the
    table holds exactly the expected snapshot dates."""
    expected = snapshot_dates(as_of, history_months)
    failing = SQL.named("lifecycle")
    return [
        outcome_of(
            conn,
            expectation="expect_stage_shares_to_sum_to_one",
            column="stage",
            description="per snapshot, Σ (customers in a stage ÷ customers known in core.customers by the "
                        "snapshot date) = 100%: a customer is known from the earlier of its CRM creation date "
                        "and first order, always when both are missing",
            total_sql="SELECT len(CAST($snapshots AS DATE[]))",
            failing_sql=failing["stage_shares_off_100"],
            parameters={"snapshots": expected, "stages": STAGE_CODES},
        ),
        outcome_of(
            conn,
            expectation="expect_snapshot_dates_to_match_settings",
            column="snapshot_date",
            description=f"snapshot dates are the as-of date {as_of.isoformat()} and the {history_months} "
                        "month-ends before its month ([lifecycle] history_months); is_current only on the "
                        "as-of date",
            total_sql="SELECT count(DISTINCT snapshot_date) FROM analytics.lifecycle",
            failing_sql=failing["unexpected_snapshots"],
            parameters={"snapshots": expected, "as_of": as_of},
        ),
    ]


# --- analytics.lifecycle_transitions -------------------------------------------------------------


def transitions_outcomes(conn: duckdb.DuckDBPyConnection) -> list[Outcome]:
    """Transitions add up to the snapshots they connect."""
    failing = SQL.named("lifecycle")
    return [
        outcome_of(
            conn,
            expectation="expect_transitions_to_sum_to_later_snapshot",
            column="customers",
            description="per month, Σ customers over all (from_stage, to_stage) = customers in the later "
                        "snapshot of analytics.lifecycle, and every snapshot but the first has transitions",
            total_sql="SELECT count(DISTINCT snapshot_date) FROM analytics.lifecycle",
            failing_sql=failing["transitions_off_later_snapshot"],
        ),
        outcome_of(
            conn,
            expectation="expect_transitions_to_sum_to_earlier_stages",
            column="from_stage",
            description="per month and from_stage (except 'none'), Σ customers = customers in that stage on "
                        "the previous snapshot",
            total_sql="SELECT count(*) FROM analytics.lifecycle_transitions",
            failing_sql=failing["transitions_off_earlier_stages"],
            parameters={"first_seen_stage": FIRST_SEEN_STAGE},
        ),
    ]


# --- the checks ----------------------------------------------------------------------------------

LIFECYCLE_CHECKS = [
    invariant_check(
        table="analytics.lifecycle",
        name="lifecycle_one_stage_per_customer",
        blocking=True,
        description="Every customer is in exactly one lifecycle stage per snapshot: one row per (customer, "
        "snapshot date) and the stage is one of potential, new, reactivated, churned, at_risk, loyal, active "
        "(severity ERROR, blocking: the transitions and reports are not rebuilt on a broken table). The "
        "metadata lists sample duplicated or unstaged customers.",
        compute=lambda conn, _as_of, _rules: one_stage_outcomes(conn),
    ),
    invariant_check(
        table="analytics.lifecycle",
        name="lifecycle_shares_sum_to_one",
        additional_deps=[AssetKey(["core", "customers"]), AssetKey(["core", "orders"])],
        description="Per snapshot, the stage shares add up to 100% of the customers known in core.customers "
        "by that date (known from the earlier of CRM creation date and first order), and the snapshot dates "
        "are the as-of date plus [lifecycle] history_months month-ends (severity ERROR). A failure means "
        "customers are missing from or extra in a snapshot; the metadata names the snapshot and both counts.",
        compute=lambda conn, as_of, rules: shares_outcomes(
            conn, as_of, LifecycleRules.from_settings(rules["lifecycle"]).history_months),
    ),
    invariant_check(
        table="analytics.lifecycle_transitions",
        name="lifecycle_transitions_add_up",
        additional_deps=[AssetKey(["analytics", "lifecycle"])],
        description="Each month's transitions add up to the customers of the later snapshot in "
        "analytics.lifecycle, and summed by from_stage (except 'none') to the stage counts of the earlier "
        "snapshot (severity ERROR). A failure means the transitions are stale: rematerialise "
        "analytics/lifecycle_transitions after analytics/lifecycle.",
        compute=lambda conn, _as_of, _rules: transitions_outcomes(conn),
    ),
]
