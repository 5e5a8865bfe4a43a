"""Next best actions: the call list for account managers (what to do with which customer, why, and in
which order), the history of every list issued, and the measured effect of the actions against a
control group.

The playbook and the control group are in ``assets.analytics.actions.logic`` (settings in
``settings.py``, the SQL in ``sql/``); these assets only do I/O.
"""

from datetime import date

import duckdb
from dagster import MaterializeResult, MetadataValue

from assets.analytics.actions.logic import (
    HISTORY_TABLE,
    LIFT_TABLE,
    NBA_TABLE,
    build_action_lift,
    build_next_best_actions,
    lift_status,
    record_action_list,
    stale_inputs,
)
from assets.analytics.actions.settings import ALL_ACTIONS, ActionSettings
from assets.common.consistency import built_for_other_dates
from assets.common.metadata import markdown_table, materialize_as_of
from assets.common.resources import PipelineSettings, Warehouse
from assets.common.sql import SqlFolder
from assets.common.table_asset import table_asset

SQL = SqlFolder(__file__)


def _action_summary(conn, settings: ActionSettings) -> str:
    """Markdown: per playbook action, customers treated and held out, and their value at risk."""
    rows = {a: (t, c, v) for a, t, c, v in SQL.rows(conn, "action_summary")}
    lines = []
    for action, label_en, label_zh in settings.actions():
        treated, control, value = rows.get(action, (0, 0, 0))
        lines.append((action, label_en, label_zh, treated, control, f"{float(value):,.0f}"))
    return markdown_table(("action", "label", "行动", "treated", "control", "value at risk (CNY)"), "lllrrr", lines)


@table_asset(
    "analytics.next_best_actions",
    deps=[
        "analytics.churn_scores",
        "analytics.rfm",
        "analytics.lifecycle",
        "analytics.key_accounts",
        "core.customers",
        "core.order_lines",
        "core.tickets",
    ],
)
def next_best_actions(warehouse: Warehouse, settings: PipelineSettings) -> MaterializeResult:
    """Next best actions (下一步最佳行动): the call list for account managers. One row per customer
    who should get an action, in the order to work through them (priority_rank 1 first). No phone
    numbers or e-mail addresses: look the contact up in the CRM.

    Who is considered: every customer with a churn score (analytics.churn_scores, i.e. every buyer)
    and every customer in the current lifecycle snapshot (prospects included). The action comes from
    the playbook, `[[actions.playbook]]` in settings.toml: the first rule whose conditions all hold
    wins. Conditions: key-account grade, RFM segment and value tier, lifecycle stage, churn risk tier,
    a complaint ticket in the last `[actions] complaint_days` (90) days, price sensitivity (at least
    `price_sensitive_share` (50%) of the customer's completed order-line revenue in the last
    `price_lookback_days` (730) days was bought with a discount). Shipped rules, in order: VIP care
    call (every VIP); service recovery after a recent complaint; win-back offer (risk high or medium,
    lifecycle at_risk or churned, and value tier high or grade VIP/A); welcome offer (lifecycle new);
    price promotion (price-sensitive with risk high or medium); nurture (prospects, lifecycle
    potential); everyone else gets no_action and is not on the list.

    Control group: a fixed random `[actions] control_share` (10%) of customers, chosen by
    md5(`control_salt` || customer_id), so the same customers are held out in every list. They stay
    on the list, marked, with no action, so that analytics/action_lift can compare them with the
    customers who got the action.

    Columns:
    - priority_rank: 1 = call first; by value_at_risk (highest first, empty last), then
      churn_probability (highest first, empty last), then customer_id.
    - customer_id, company, owner (account manager, from the CRM).
    - grade (key-account grade VIP/A/B/C), segment and value_tier (RFM), lifecycle_stage (current
      stage), risk_tier (high/medium/low), churn_probability (0–1), clv_12m (predicted 12-month value,
      CNY) and value_at_risk (= churn_probability × clv_12m), all from the tables they are named
      after; empty where the customer is not in that table (a prospect has no score or grade).
    - assigned_action: the playbook action code the customer qualifies for (kept for control
      customers too, so the effect can be measured per action).
    - action: what to do = assigned_action, or control_no_action for a control customer.
    - action_label_en / action_label_zh: the action's name from the playbook.
    - reason_en / reason_zh: why, the rule's reason text with figures filled in (days since the last
      order, complaints, share bought on discount, value at risk…); for control customers, a note that
      they are held out and which action they would have had.
    - is_control: true for the control group.
    - as_of: the analysis date (the list date)."""
    action_settings = ActionSettings.from_thresholds(settings.rules())

    def build(conn: duckdb.DuckDBPyConnection, as_of: date) -> dict[str, MetadataValue]:
        stale = stale_inputs(conn, as_of)
        if stale:
            raise ValueError(f"next best actions for {as_of.isoformat()} would use outdated inputs: "
                             f"{'; '.join(stale)}. Rematerialise them for this as-of date first.")
        build_next_best_actions(conn, as_of, action_settings)
        [(listed, control, scored)] = SQL.rows(conn, "list_counts")
        return {
            "scored_customers": MetadataValue.int(int(scored)),
            "control_customers": MetadataValue.int(int(control)),
            "control_share_setting": MetadataValue.float(action_settings.control_share),
            "control_share_found": MetadataValue.float(round(control / listed, 4) if listed else 0.0),
            "actions": MetadataValue.md(_action_summary(conn, action_settings)),
        }

    return materialize_as_of(warehouse, settings, NBA_TABLE, build)


@table_asset("analytics.action_list_history", deps=["analytics.next_best_actions"])
def action_list_history(warehouse: Warehouse, settings: PipelineSettings) -> MaterializeResult:
    """Every next-best-action list ever issued (行动名单历史): one row per list date and customer on
    that list. This table is kept, not rebuilt: each run adds the list of its as-of date and replaces
    only that date's earlier rows (running twice for the same date leaves one copy), so lists issued
    by earlier runs stay for measuring what the actions achieved (analytics/action_lift). To forget a
    list, delete its rows by list_date.

    Columns: list_date (the as-of date of the run that issued the list); customer_id;
    assigned_action (the playbook action the customer qualified for, also for control customers);
    is_control (held out: got no action); churn_probability and value_at_risk (as they were on the
    list date)."""

    def build(conn: duckdb.DuckDBPyConnection, as_of: date) -> dict[str, MetadataValue]:
        outdated = built_for_other_dates(conn, [NBA_TABLE], as_of)
        if outdated:
            raise ValueError(f"{outdated[0]}, this run is for {as_of.isoformat()}: "
                             "rematerialise analytics/next_best_actions first")
        written = record_action_list(conn, as_of)
        lists = conn.execute(f"SELECT count(DISTINCT list_date) FROM {HISTORY_TABLE}").fetchall()[0][0]
        return {"rows_for_this_list": MetadataValue.int(written), "lists_kept": MetadataValue.int(int(lists))}

    return materialize_as_of(warehouse, settings, HISTORY_TABLE, build)


def _lift_summary(conn) -> str:
    rows = SQL.rows(conn, "lift_summary", all_actions=ALL_ACTIONS)
    lines = []

    def pct(v):
        return "—" if v is None else f"{100 * v:.1f}%"

    for d, nt, nc, rt, rc, lift, low, high, complete in rows:
        ci = "" if low is None else f" ({pct(low)} to {pct(high)})"
        lines.append((d.isoformat(), nt, nc, pct(rt), pct(rc), f"{pct(lift)}{ci}", "yes" if complete else "no"))
    header = ("list date", "treated", "control", "treated retention", "control retention", "lift (95% CI)", "complete")
    return markdown_table(header, "lrrrrll", lines)


@table_asset("analytics.action_lift", deps=["analytics.action_list_history", "core.orders"])
def action_lift(warehouse: Warehouse, settings: PipelineSettings) -> MaterializeResult:
    """Effect of the next best actions (行动效果评估): for every earlier list, did the customers who got
    an action stay more often than the control customers who did not? One row per list date and
    playbook action, plus one row per list date with assigned_action = 'all' (the whole list).

    A list is evaluated from the day after its list date for `[actions] evaluation_days` days
    (default `[churn] horizon_days`, 90): window (list_date, list_date + evaluation_days]. Lists
    whose window has started before the as-of date are included; while the window is still open it
    is cut at the as-of date (window_complete = false) and the figures can still change. The list of
    the as-of date itself is not evaluated yet. With no earlier list the table is empty and the
    materialisation's `status` says why.

    Columns:
    - list_date, assigned_action (the action the customers qualified for; 'all' = every customer on
      the list).
    - treated_customers / control_customers: customers on the list who got the action / were held
      out (control group).
    - treated_retained, control_retained: of those, customers with a completed order in the window.
    - treated_retention, control_retention: retained ÷ customers (empty when a group is empty).
    - lift: treated_retention − control_retention, as a fraction (0.05 = 5 percentage points more
      customers kept thanks to the action).
    - lift_ci_low, lift_ci_high: 95% confidence interval of the lift, normal approximation: lift ±
      1.96 × √(p_t(1 − p_t)/n_t + p_c(1 − p_c)/n_c), p = retention, n = customers; empty when a
      group is empty, or when each group is all retained or all lost (the formula then has no
      width although the sample is no proof). An interval that contains 0 means the list cannot tell
      the effect from chance (small control groups give wide intervals, and the approximation is
      rough below a few dozen customers per group).
    - evaluation_days, window_end (the last day counted = the earlier of list_date + evaluation_days
      and the as-of date), window_complete.
    - as_of: the analysis date.
    Rates are rounded to 6 decimals."""
    action_settings = ActionSettings.from_thresholds(settings.rules())

    def build(conn: duckdb.DuckDBPyConnection, as_of: date) -> dict[str, MetadataValue]:
        build_action_lift(conn, as_of, action_settings)
        return {
            "evaluation_days": MetadataValue.int(action_settings.evaluation_days),
            "status": MetadataValue.text(lift_status(conn, as_of)),
            "lift_of_whole_lists": MetadataValue.md(_lift_summary(conn)),
        }

    return materialize_as_of(warehouse, settings, LIFT_TABLE, build)


ACTION_ASSETS = [next_best_actions, action_list_history, action_lift]
