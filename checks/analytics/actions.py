"""Invariants of the next-best-action list, run as Dagster asset checks (severity ERROR).

- ``actions_one_row_per_customer``: every customer appears at most once on the list (so a scored
  customer gets at most one action), with priority ranks 1, 2, … without gaps or repeats.
- ``actions_control_share_matches_settings``: with at least ``MIN_LIST_FOR_SHARE`` customers on the
  list, the share held out as control is within a tolerance of ``[actions] control_share``.
- ``actions_control_gets_no_action``: control customers never have a real action, treated customers
  always have their assigned one, assigned actions come from the playbook, and is_control agrees
  with the md5 rule (so the group of a customer is the one the settings give).

Outcomes are appended to ``quality.validation_results`` like every other check.
"""

import math
from datetime import date

import duckdb
from dagster import (
    AssetCheckExecutionContext,
    AssetCheckResult,
    AssetKey,
    asset_check,
)

from assets.analytics.actions.logic import CONTROL_ACTION, NBA_TABLE, ActionSettings, control_sql
from assets.common.resources import PipelineSettings, Warehouse
from checks.common.results import Outcome
from checks.common.running import query_outcome, run_check

# Below this many customers on the list the control share is left unchecked (too noisy to judge).
MIN_LIST_FOR_SHARE = 200
# Allowed distance of the control share from the setting, in binomial standard errors
# √(share × (1 − share) ÷ customers). The assignment is a fixed hash, so a chance miss would repeat
# on every run: 4 standard errors make that a 1-in-15,000 event.
SHARE_TOLERANCE_SE = 4.0


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _rows(conn: duckdb.DuckDBPyConnection) -> int:
    return int(conn.execute(f"SELECT count(*) FROM {NBA_TABLE}").fetchall()[0][0])


def one_row_outcomes(conn: duckdb.DuckDBPyConnection) -> list[Outcome]:
    """Each customer at most once; priority ranks are exactly 1..n."""
    rows = _rows(conn)
    return [
        query_outcome(
            conn, expectation="expect_customer_at_most_once", column="customer_id",
            description="every customer appears at most once on the list (one action per customer)", total=rows,
            failing_sql=f"SELECT coalesce(customer_id, '(empty)') || ' × ' || count(*) AS sample FROM {NBA_TABLE} "
                        "GROUP BY customer_id HAVING count(*) > 1 OR customer_id IS NULL",
        ),
        query_outcome(
            conn, expectation="expect_priority_rank_1_to_n", column="priority_rank",
            description=f"priority ranks are 1 to {rows}, each once", total=rows,
            failing_sql="SELECT customer_id || ' rank ' || coalesce(CAST(priority_rank AS VARCHAR), '(empty)') "
                        "AS sample FROM (SELECT customer_id, priority_rank, "
                        f"row_number() OVER (ORDER BY priority_rank, customer_id) AS expected FROM {NBA_TABLE}) "
                        "WHERE priority_rank IS DISTINCT FROM expected",
        ),
    ]


def control_share_outcomes(conn: duckdb.DuckDBPyConnection, settings: ActionSettings) -> list[Outcome]:
    """Control share within SHARE_TOLERANCE_SE standard errors of the setting (lists of 200 or more)."""
    rows, control = conn.execute(
        f"SELECT count(*), count(*) FILTER (WHERE is_control) FROM {NBA_TABLE}").fetchall()[0]
    share = settings.control_share
    if rows < MIN_LIST_FOR_SHARE:
        return [Outcome(
            expectation="expect_control_share_near_setting", column="is_control",
            description=f"not evaluated: {rows} customers on the list, fewer than {MIN_LIST_FOR_SHARE}",
            success=True, element_count=int(rows), unexpected_count=0, unexpected_percent=0.0,
        )]
    tolerance = SHARE_TOLERANCE_SE * math.sqrt(share * (1 - share) / rows)
    found = control / rows
    ok = abs(found - share) <= tolerance
    return [Outcome(
        expectation="expect_control_share_near_setting", column="is_control",
        description=f"control share {found:.2%} is within {tolerance:.2%} ({SHARE_TOLERANCE_SE:g} standard errors) "
                    f"of actions.control_share = {share:.2%}",
        success=ok, element_count=int(rows), unexpected_count=0 if ok else int(control),
        unexpected_percent=0.0 if ok else 100.0 * found,
        samples=() if ok else (f"{control} of {rows} customers in the control group",),
    )]


def control_outcomes(conn: duckdb.DuckDBPyConnection, settings: ActionSettings) -> list[Outcome]:
    """Control rows carry no action, treated rows their assigned action, actions are from the
    playbook, and is_control follows md5(control_salt || customer_id)."""
    rows = _rows(conn)
    control = _literal(CONTROL_ACTION)
    actions = ", ".join(_literal(a) for a, _, _ in settings.actions())
    return [
        query_outcome(
            conn, expectation="expect_control_without_action", column="action",
            description=f"control customers have the action {CONTROL_ACTION} and no other", total=rows,
            failing_sql=f"SELECT customer_id || ' → ' || coalesce(action, '(empty)') AS sample FROM {NBA_TABLE} "
                        f"WHERE is_control AND action IS DISTINCT FROM {control}",
        ),
        query_outcome(
            conn, expectation="expect_treated_get_assigned_action", column="action",
            description="customers outside the control group have their assigned action", total=rows,
            failing_sql=f"SELECT customer_id || ' → ' || coalesce(action, '(empty)') AS sample FROM {NBA_TABLE} "
                        "WHERE NOT coalesce(is_control, false) AND action IS DISTINCT FROM assigned_action",
        ),
        query_outcome(
            conn, expectation="expect_assigned_action_in_playbook", column="assigned_action",
            description="assigned_action is an action of the playbook (not no_action, not the control action)",
            total=rows,
            failing_sql=f"SELECT customer_id || ' → ' || coalesce(assigned_action, '(empty)') AS sample "
                        f"FROM {NBA_TABLE} WHERE assigned_action IS NULL OR assigned_action NOT IN ({actions})",
        ),
        query_outcome(
            conn, expectation="expect_control_group_from_salted_hash", column="is_control",
            description="is_control = md5(actions.control_salt || customer_id) below actions.control_share "
                        "(the group a customer is in does not change between runs)", total=rows,
            failing_sql=f"SELECT customer_id || ' is_control=' || coalesce(CAST(is_control AS VARCHAR), '(empty)') "
                        f"AS sample FROM {NBA_TABLE} WHERE is_control IS DISTINCT FROM {control_sql(settings)}",
        ),
    ]


def _evaluate(context, warehouse: Warehouse, settings: PipelineSettings, check_name: str, which: str
              ) -> AssetCheckResult:
    action_settings = ActionSettings.from_thresholds(settings.rules())

    def compute(conn: duckdb.DuckDBPyConnection, _as_of: date) -> list[Outcome]:
        if which == "once":
            return one_row_outcomes(conn)
        if which == "share":
            return control_share_outcomes(conn, action_settings)
        return control_outcomes(conn, action_settings)

    return run_check(context, warehouse, settings, check_name=check_name, table=NBA_TABLE, compute=compute)


@asset_check(
    asset=AssetKey(["analytics", "next_best_actions"]),
    name="actions_one_row_per_customer",
    description="Every customer appears at most once on the next-best-action list, so nobody gets two actions, "
    "and priority ranks run 1, 2, 3 … without gaps or repeats (severity ERROR). Samples name repeated customers.",
)
def actions_one_row_per_customer(context: AssetCheckExecutionContext, warehouse: Warehouse,
                                 settings: PipelineSettings) -> AssetCheckResult:
    return _evaluate(context, warehouse, settings, "actions_one_row_per_customer", "once")


@asset_check(
    asset=AssetKey(["analytics", "next_best_actions"]),
    name="actions_control_share_matches_settings",
    description=f"With at least {MIN_LIST_FOR_SHARE} customers on the list, the share held out as control group "
    f"is within {SHARE_TOLERANCE_SE:g} binomial standard errors of [actions] control_share (about ±2.6 percentage "
    "points for 10% of 800 customers); shorter lists are not judged (severity ERROR). A failure means the "
    "assignment or the salt is broken, or the setting changed after the list was built.",
)
def actions_control_share_matches_settings(context: AssetCheckExecutionContext, warehouse: Warehouse,
                                           settings: PipelineSettings) -> AssetCheckResult:
    return _evaluate(context, warehouse, settings, "actions_control_share_matches_settings", "share")


@asset_check(
    asset=AssetKey(["analytics", "next_best_actions"]),
    name="actions_control_gets_no_action",
    description="Control customers never have a real action (action = control_no_action), everyone else has "
    "their assigned playbook action, assigned actions are actions of the playbook, and the control group is "
    "exactly the one md5([actions] control_salt || customer_id) gives (severity ERROR): otherwise the measured "
    "lift of analytics/action_lift would be wrong.",
)
def actions_control_gets_no_action(context: AssetCheckExecutionContext, warehouse: Warehouse,
                                   settings: PipelineSettings) -> AssetCheckResult:
    return _evaluate(context, warehouse, settings, "actions_control_gets_no_action", "control")


ACTION_CHECKS = [actions_one_row_per_customer, actions_control_share_matches_settings, actions_control_gets_no_action]
