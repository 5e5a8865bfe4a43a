"""Customer lifecycle: the stage of every customer on each month-end snapshot (and the as-of date),
and the number of customers moving between stages from one snapshot to the next.

The stage rules are in ``assets.analytics.lifecycle.logic`` (thresholds in ``settings.py``) and the SQL in
``sql/``; these assets only do I/O.
"""

from datetime import date

import duckdb
from dagster import MaterializeResult, MetadataValue

from assets.analytics.lifecycle.logic import build_lifecycle, build_lifecycle_transitions
from assets.analytics.lifecycle.settings import LifecycleRules
from assets.common.consistency import built_as_of
from assets.common.metadata import markdown_table, materialize_as_of, table_metadata
from assets.common.resources import PipelineSettings, Warehouse
from assets.common.sql import SqlFolder
from assets.common.table_asset import table_asset

SQL = SqlFolder(__file__)


def _stage_counts_markdown(rows: list[tuple]) -> str:
    total = sum(r[2] for r in rows) or 1
    return markdown_table(("stage", "阶段", "customers", "share"), "llrr",
                          [(stage, zh, n, f"{n / total:.1%}") for stage, zh, n in rows])


@table_asset("analytics.lifecycle", deps=["core.customers", "core.orders"])
def lifecycle(warehouse: Warehouse, settings: PipelineSettings) -> MaterializeResult:
    """Customer lifecycle stage (生命周期阶段): one row per customer per snapshot date.

    Snapshot dates: the as-of date (is_current = true) and the last day of each of the
    `[lifecycle] history_months` months before the as-of month (default 24, so 25 snapshots). A
    customer appears in a snapshot once known: from the earlier of its CRM creation date and its
    first order of any status (a sales-only customer counts from its first order); a CRM account
    without a creation date that never ordered is in every snapshot. Only completed orders on or
    before the snapshot date count as purchases (refunded and cancelled orders never do).

    Stage, first matching rule wins (thresholds in `[lifecycle]` of settings.toml, defaults in
    brackets):
    1. potential 潜在: no completed order yet (CRM prospects, customers with only refunds/cancellations).
    2. new 新客: first completed order at most `new_days` (90) days before the snapshot date.
    3. reactivated 回流: the latest return purchase is at most `reactivated_days` (90) days before
       the snapshot date; a return purchase is a completed order at least `churn_days` (365) days
       after the previous one.
    4. churned 流失: last completed order more than `churn_days` (365) days before the snapshot.
    5. at_risk 风险: silent for at least `at_risk_min_days` (60) days AND for longer than
       `at_risk_gap_multiplier` (2.0) × usual_gap_days. A customer with one purchase day has no
       usual gap and is at risk on `at_risk_min_days` alone.
    6. loyal 忠诚: at least `loyal_min_orders` (5) completed orders and first order at least
       `loyal_min_tenure_days` (365) days before the snapshot.
    7. active 活跃: everyone else.

    Columns: customer_id; snapshot_date; is_current (snapshot_date = as-of date); stage (code
    above); stage_zh (Chinese name); days_since_last_order (snapshot_date − last_order_date, empty
    for potential); usual_gap_days ((last_order_date − first_order_date) ÷ (purchase_days − 1),
    rounded to 2 decimals, the rule uses the unrounded value; empty below 2 purchase days);
    orders_to_date (completed orders up to the snapshot); purchase_days (distinct days with a
    completed order: several orders on one day are one purchase for the gap); first_order_date and
    last_order_date (first and latest completed order up to the snapshot); last_return_date (latest
    return purchase up to the snapshot, see reactivated); tenure_days (snapshot_date −
    first_order_date); as_of. Rows are ordered by snapshot_date, customer_id."""
    rules = LifecycleRules.from_settings(settings.rules()["lifecycle"])

    def build(conn: duckdb.DuckDBPyConnection, as_of: date) -> dict[str, MetadataValue]:
        dates = build_lifecycle(conn, as_of, rules)
        current = SQL.rows(conn, "current_stages")
        return {
            "snapshots": MetadataValue.int(len(dates)),
            "first_snapshot": MetadataValue.text(dates[0].isoformat()),
            "current_stages": MetadataValue.md(_stage_counts_markdown(current)),
        }

    return materialize_as_of(warehouse, settings, "analytics.lifecycle", build)


@table_asset("analytics.lifecycle_transitions", deps=["analytics.lifecycle"])
def lifecycle_transitions(warehouse: Warehouse, settings: PipelineSettings) -> MaterializeResult:
    """Lifecycle transitions (阶段流转): one row per month and (from_stage, to_stage) pair, with the
    number of customers who were in from_stage on the previous snapshot and in to_stage on this one
    (staying in the same stage included, from_stage = to_stage).

    Columns: month (first day of the month of the later snapshot); previous_snapshot_date and
    snapshot_date (the two consecutive snapshots of analytics.lifecycle compared); from_stage /
    from_stage_zh; to_stage / to_stage_zh; customers; as_of. A customer not yet known on the
    previous snapshot (new CRM account or first order since) comes from from_stage 'none'
    (首次出现). Customers never leave the snapshots, so for every month the customers add up to the
    customers of the later snapshot, and summed by from_stage (except 'none') to the stage counts
    of the previous snapshot. The oldest snapshot has no predecessor, so there are history_months
    months of transitions. as_of is the as-of date analytics.lifecycle was built for. Stage
    definitions: see analytics/lifecycle. Rows are ordered by snapshot_date, from_stage, to_stage."""
    with warehouse.connect() as conn:
        build_lifecycle_transitions(conn)
        as_of = built_as_of(conn, "analytics.lifecycle") or settings.run_as_of(conn)
        return MaterializeResult(
            metadata=table_metadata(
                conn, "analytics.lifecycle_transitions", as_of=MetadataValue.text(as_of.isoformat())
            )
        )


LIFECYCLE_ASSETS = [lifecycle, lifecycle_transitions]
