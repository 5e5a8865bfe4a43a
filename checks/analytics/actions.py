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
from collections.abc import Mapping
from datetime import date
from typing import Any

import duckdb

from assets.analytics.actions.logic import NBA_TABLE, control_parameters
from assets.analytics.actions.settings import CONTROL_ACTION, ActionSettings
from assets.common.sql import SqlFolder
from checks.common.results import Outcome, counted_outcome
from checks.common.running import invariant_check, query_outcome

SQL = SqlFolder(__file__)

# Below this many customers on the list the control share is left unchecked (too noisy to judge).
MIN_LIST_FOR_SHARE = 200
# Allowed distance of the control share from the setting, in binomial standard errors
# √(share × (1 − share) ÷ customers). The assignment is a fixed hash, so a chance miss would repeat
# on every run: 4 standard errors make that a 1-in-15,000 event.
SHARE_TOLERANCE_SE = 4.0


def _failing(query: str) -> str:
    return SQL.named("actions")[query]


def _rows(conn: duckdb.DuckDBPyConnection) -> int:
    return int(conn.execute(f"SELECT count(*) FROM {NBA_TABLE}").fetchall()[0][0])


def one_row_outcomes(conn: duckdb.DuckDBPyConnection) -> list[Outcome]:
    """Each customer at most once; priority ranks are exactly 1..n."""
    rows = _rows(conn)
    return [
        query_outcome(
            conn, expectation="expect_customer_at_most_once", column="customer_id",
            description="every customer appears at most once on the list (one action per customer)", total=rows,
            failing_sql=_failing("customer_repeated"),
        ),
        query_outcome(
            conn, expectation="expect_priority_rank_1_to_n", column="priority_rank",
            description=f"priority ranks are 1 to {rows}, each once", total=rows,
            failing_sql=_failing("priority_rank_not_1_to_n"),
        ),
    ]


def control_share_outcomes(conn: duckdb.DuckDBPyConnection, settings: ActionSettings) -> list[Outcome]:
    """Control share within SHARE_TOLERANCE_SE standard errors of the setting (lists of 200 or more)."""
    rows, control = conn.execute(
        f"SELECT count(*), count(*) FILTER (WHERE is_control) FROM {NBA_TABLE}").fetchall()[0]
    share = settings.control_share
    if rows < MIN_LIST_FOR_SHARE:
        return [counted_outcome(
            "expect_control_share_near_setting", "is_control",
            f"not evaluated: {rows} customers on the list, fewer than {MIN_LIST_FOR_SHARE}", total=rows, failing=0,
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
    return [
        query_outcome(
            conn, expectation="expect_control_without_action", column="action",
            description=f"control customers have the action {CONTROL_ACTION} and no other", total=rows,
            failing_sql=_failing("control_with_action"), params={"control_action": CONTROL_ACTION},
        ),
        query_outcome(
            conn, expectation="expect_treated_get_assigned_action", column="action",
            description="customers outside the control group have their assigned action", total=rows,
            failing_sql=_failing("treated_without_assigned_action"),
        ),
        query_outcome(
            conn, expectation="expect_assigned_action_in_playbook", column="assigned_action",
            description="assigned_action is an action of the playbook (not no_action, not the control action)",
            total=rows, failing_sql=_failing("assigned_action_not_in_playbook"),
            params={"actions": [action for action, _, _ in settings.actions()]},
        ),
        query_outcome(
            conn, expectation="expect_control_group_from_salted_hash", column="is_control",
            description="is_control = md5(actions.control_salt || customer_id) below actions.control_share "
                        "(the group a customer is in does not change between runs)", total=rows,
            failing_sql=_failing("control_not_from_salted_hash"), params=control_parameters(settings),
        ),
    ]


def _action_settings(rules: Mapping[str, Any]) -> ActionSettings:
    return ActionSettings.from_thresholds(rules)


def actions_one_row_per_customer(conn: duckdb.DuckDBPyConnection, _as_of: date,
                                 _rules: Mapping[str, Any]) -> list[Outcome]:
    """Every customer appears at most once on the next-best-action list, so nobody gets two actions,
    and priority ranks run 1, 2, 3 … without gaps or repeats (severity ERROR). Samples name
    repeated customers."""
    return one_row_outcomes(conn)


def actions_control_share_matches_settings(conn: duckdb.DuckDBPyConnection, _as_of: date,
                                           rules: Mapping[str, Any]) -> list[Outcome]:
    return control_share_outcomes(conn, _action_settings(rules))


def actions_control_gets_no_action(conn: duckdb.DuckDBPyConnection, _as_of: date,
                                   rules: Mapping[str, Any]) -> list[Outcome]:
    """Control customers never have a real action (action = control_no_action), everyone else has their
    assigned playbook action, assigned actions are actions of the playbook, and the control
    group is exactly the one md5([actions] control_salt || customer_id) gives (severity ERROR):
    otherwise the measured lift of analytics/action_lift would be wrong."""
    return control_outcomes(conn, _action_settings(rules))


ACTION_CHECKS = [
    invariant_check(NBA_TABLE, actions_one_row_per_customer),
    invariant_check(
        NBA_TABLE,
        actions_control_share_matches_settings,
        description=f"With at least {MIN_LIST_FOR_SHARE} customers on the list, the share held out as control "
        f"group is within {SHARE_TOLERANCE_SE:g} binomial standard errors of [actions] control_share (about ±2.6 "
        "percentage points for 10% of 800 customers); shorter lists are not judged (severity ERROR). A failure "
        "means the assignment or the salt is broken, or the setting changed after the list was built.",
    ),
    invariant_check(NBA_TABLE, actions_control_gets_no_action),
]
