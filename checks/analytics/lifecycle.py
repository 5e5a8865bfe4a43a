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
from dagster import (
    AssetCheckExecutionContext,
    AssetCheckResult,
    AssetKey,
    asset_check,
)

from assets.analytics.lifecycle.logic import STAGES, LifecycleRules, snapshot_dates
from assets.common.resources import PipelineSettings, Warehouse
from checks.common.results import SAMPLE_LIMIT, Outcome, masked_samples
from checks.common.running import run_check

_STAGE_LIST = ", ".join(f"'{s}'" for s, _ in STAGES)


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
    return [
        outcome_of(
            conn,
            expectation="expect_customer_and_snapshot_to_be_unique",
            column="customer_id, snapshot_date",
            description="every customer has exactly one row (one stage) per snapshot",
            total_sql="SELECT count(*) FROM analytics.lifecycle",
            failing_sql="SELECT snapshot_date || ' ' || customer_id || ' × ' || count(*) AS sample "
                        "FROM analytics.lifecycle GROUP BY customer_id, snapshot_date HAVING count(*) > 1 "
                        "ORDER BY sample",
        ),
        outcome_of(
            conn,
            expectation="expect_stage_to_be_in_set",
            column="stage",
            description=f"stage is one of {_STAGE_LIST}",
            total_sql="SELECT count(*) FROM analytics.lifecycle",
            failing_sql=f"SELECT snapshot_date || ' ' || customer_id || ' → ' || coalesce(stage, '(empty)') AS sample "
                        f"FROM analytics.lifecycle WHERE stage IS NULL OR stage NOT IN ({_STAGE_LIST}) "
                        f"ORDER BY snapshot_date, customer_id",
        ),
    ]


KNOWN_CUSTOMERS_SQL = """
SELECT c.customer_id, least(c.created_date, f.first_seen_date) AS known_date
FROM core.customers c
LEFT JOIN (SELECT customer_id, min(order_date) AS first_seen_date FROM core.orders GROUP BY customer_id) f
       USING (customer_id)
"""


def shares_outcomes(conn: duckdb.DuckDBPyConnection, as_of: date, history_months: int) -> list[Outcome]:
    """Per expected snapshot, the stage shares over the customers known by then sum to 100%; and the
    table holds exactly the expected snapshot dates."""
    expected = snapshot_dates(as_of, history_months)
    params = {"snapshots": expected}
    return [
        outcome_of(
            conn,
            expectation="expect_stage_shares_to_sum_to_one",
            column="stage",
            description="per snapshot, Σ (customers in a stage ÷ customers known in core.customers by the "
                        "snapshot date) = 100%: a customer is known from the earlier of its CRM creation date "
                        "and first order, always when both are missing",
            total_sql="SELECT len(CAST($snapshots AS DATE[]))",
            failing_sql=f"""
                WITH snapshots AS (SELECT unnest(CAST($snapshots AS DATE[])) AS snapshot_date),
                known AS ({KNOWN_CUSTOMERS_SQL}),
                expected AS (
                    SELECT s.snapshot_date, count(k.customer_id) AS customers
                    FROM snapshots s
                    LEFT JOIN known k ON k.known_date IS NULL OR k.known_date <= s.snapshot_date
                    GROUP BY s.snapshot_date
                ),
                staged AS (       -- known customers with a valid stage, per snapshot and stage
                    SELECT l.snapshot_date, l.stage, count(DISTINCT l.customer_id) AS customers
                    FROM analytics.lifecycle l
                    JOIN known k ON k.customer_id = l.customer_id
                                AND (k.known_date IS NULL OR k.known_date <= l.snapshot_date)
                    WHERE l.stage IN ({_STAGE_LIST})
                    GROUP BY ALL
                ),
                table_rows AS (SELECT snapshot_date, count(*) AS table_rows FROM analytics.lifecycle GROUP BY ALL),
                shares AS (
                    SELECT e.snapshot_date, e.customers,
                           CASE WHEN e.customers = 0 THEN 1.0
                                ELSE coalesce(sum(s.customers / e.customers), 0) END AS share_sum,
                           coalesce(sum(s.customers), 0) AS staged
                    FROM expected e
                    LEFT JOIN staged s USING (snapshot_date)
                    GROUP BY e.snapshot_date, e.customers
                )
                SELECT snapshot_date || ': stage shares sum to ' || round(100 * share_sum, 4)
                       || '% (' || staged || ' known customers staged of ' || customers || ', '
                       || coalesce(table_rows, 0) || ' rows)' AS sample
                FROM shares
                LEFT JOIN table_rows USING (snapshot_date)
                WHERE abs(share_sum - 1) > 1e-9 OR coalesce(table_rows, 0) <> customers
                ORDER BY snapshot_date""",
            parameters=params,
        ),
        outcome_of(
            conn,
            expectation="expect_snapshot_dates_to_match_settings",
            column="snapshot_date",
            description=f"snapshot dates are the as-of date {as_of.isoformat()} and the {history_months} "
                        "month-ends before its month ([lifecycle] history_months); is_current only on the "
                        "as-of date",
            total_sql="SELECT count(DISTINCT snapshot_date) FROM analytics.lifecycle",
            failing_sql="""
                SELECT 'unexpected snapshot ' || snapshot_date AS sample FROM (
                    SELECT DISTINCT snapshot_date FROM analytics.lifecycle
                    EXCEPT SELECT unnest(CAST($snapshots AS DATE[])))
                UNION ALL
                SELECT DISTINCT 'is_current wrong on ' || snapshot_date FROM analytics.lifecycle
                WHERE is_current IS DISTINCT FROM (snapshot_date = $as_of)
                ORDER BY sample""",
            parameters={**params, "as_of": as_of},
        ),
    ]


# --- analytics.lifecycle_transitions -------------------------------------------------------------


def transitions_outcomes(conn: duckdb.DuckDBPyConnection) -> list[Outcome]:
    """Transitions add up to the snapshots they connect."""
    return [
        outcome_of(
            conn,
            expectation="expect_transitions_to_sum_to_later_snapshot",
            column="customers",
            description="per month, Σ customers over all (from_stage, to_stage) = customers in the later "
                        "snapshot of analytics.lifecycle, and every snapshot but the first has transitions",
            total_sql="SELECT count(DISTINCT snapshot_date) FROM analytics.lifecycle",
            failing_sql="""
                WITH snaps AS (
                    SELECT snapshot_date, count(*) AS customers,
                           row_number() OVER (ORDER BY snapshot_date) AS position
                    FROM analytics.lifecycle GROUP BY snapshot_date
                ),
                moved AS (
                    SELECT snapshot_date, sum(customers) AS customers
                    FROM analytics.lifecycle_transitions GROUP BY snapshot_date
                )
                SELECT coalesce(s.snapshot_date, m.snapshot_date) || ': transitions '
                       || coalesce(m.customers, 0) || ', snapshot ' || coalesce(s.customers, 0) AS sample
                FROM (SELECT * FROM snaps WHERE position > 1) s
                FULL JOIN moved m USING (snapshot_date)
                WHERE s.customers IS DISTINCT FROM m.customers
                ORDER BY sample""",
        ),
        outcome_of(
            conn,
            expectation="expect_transitions_to_sum_to_earlier_stages",
            column="from_stage",
            description="per month and from_stage (except 'none'), Σ customers = customers in that stage on "
                        "the previous snapshot",
            total_sql="SELECT count(*) FROM analytics.lifecycle_transitions",
            failing_sql="""
                WITH moved AS (
                    SELECT previous_snapshot_date AS snapshot_date, from_stage AS stage, sum(customers) AS customers
                    FROM analytics.lifecycle_transitions WHERE from_stage <> 'none' GROUP BY ALL
                ),
                staged AS (
                    SELECT snapshot_date, stage, count(*) AS customers
                    FROM analytics.lifecycle
                    WHERE snapshot_date IN (SELECT previous_snapshot_date FROM analytics.lifecycle_transitions)
                    GROUP BY ALL
                )
                SELECT snapshot_date || ' ' || stage || ': moved ' || coalesce(m.customers, 0)
                       || ', staged ' || coalesce(s.customers, 0) AS sample
                FROM staged s
                FULL JOIN moved m USING (snapshot_date, stage)
                WHERE s.customers IS DISTINCT FROM m.customers
                ORDER BY sample""",
        ),
    ]


# --- running a check -----------------------------------------------------------------------------


@asset_check(
    asset=AssetKey(["analytics", "lifecycle"]),
    name="lifecycle_one_stage_per_customer",
    blocking=True,
    description="Every customer is in exactly one lifecycle stage per snapshot: one row per (customer, "
    "snapshot date) and the stage is one of potential, new, reactivated, churned, at_risk, loyal, active "
    "(severity ERROR, blocking: the transitions and reports are not rebuilt on a broken table). The "
    "metadata lists sample duplicated or unstaged customers.",
)
def lifecycle_one_stage_per_customer(context: AssetCheckExecutionContext, warehouse: Warehouse,
                                     settings: PipelineSettings) -> AssetCheckResult:
    return run_check(context, warehouse, settings, check_name="lifecycle_one_stage_per_customer",
                    table="analytics.lifecycle", compute=lambda conn, _as_of: one_stage_outcomes(conn))


@asset_check(
    asset=AssetKey(["analytics", "lifecycle"]),
    name="lifecycle_shares_sum_to_one",
    additional_deps=[AssetKey(["core", "customers"]), AssetKey(["core", "orders"])],
    description="Per snapshot, the stage shares add up to 100% of the customers known in core.customers "
    "by that date (known from the earlier of CRM creation date and first order), and the snapshot dates "
    "are the as-of date plus [lifecycle] history_months month-ends (severity ERROR). A failure means "
    "customers are missing from or extra in a snapshot; the metadata names the snapshot and both counts.",
)
def lifecycle_shares_sum_to_one(context: AssetCheckExecutionContext, warehouse: Warehouse,
                                settings: PipelineSettings) -> AssetCheckResult:
    rules = LifecycleRules.from_settings(settings.rules()["lifecycle"])
    return run_check(context, warehouse, settings, check_name="lifecycle_shares_sum_to_one",
                    table="analytics.lifecycle",
                    compute=lambda conn, as_of: shares_outcomes(conn, as_of, rules.history_months))


@asset_check(
    asset=AssetKey(["analytics", "lifecycle_transitions"]),
    name="lifecycle_transitions_add_up",
    additional_deps=[AssetKey(["analytics", "lifecycle"])],
    description="Each month's transitions add up to the customers of the later snapshot in "
    "analytics.lifecycle, and summed by from_stage (except 'none') to the stage counts of the earlier "
    "snapshot (severity ERROR). A failure means the transitions are stale: rematerialise "
    "analytics/lifecycle_transitions after analytics/lifecycle.",
)
def lifecycle_transitions_add_up(context: AssetCheckExecutionContext, warehouse: Warehouse,
                                 settings: PipelineSettings) -> AssetCheckResult:
    return run_check(context, warehouse, settings, check_name="lifecycle_transitions_add_up",
                    table="analytics.lifecycle_transitions",
                    compute=lambda conn, _as_of: transitions_outcomes(conn))


LIFECYCLE_CHECKS = [lifecycle_one_stage_per_customer, lifecycle_shares_sum_to_one, lifecycle_transitions_add_up]
