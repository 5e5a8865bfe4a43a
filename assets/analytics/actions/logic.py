"""Next best actions as DuckDB SQL: which action an account manager should take with each customer,
why, in which order, and, from earlier lists, whether the actions worked.

**Playbook.** ``[[actions.playbook]]`` in settings.toml is an ordered list of rules; the first rule
whose conditions all hold gives the customer's action (code, English and Chinese label and reason).
A rule without conditions matches everyone, so a last rule without conditions is a catch-all.
Conditions (all optional, a list matches when the customer's value is one of its entries; a
customer without a value, e.g. a prospect without a risk tier, matches no list):

- ``grades``: key-account grade (VIP, A, B, C) from analytics.key_accounts;
- ``segments``: RFM segment names from analytics.rfm (the ``[[rfm.segments]]`` names);
- ``value_tiers``: RFM value tier (high, normal, low);
- ``lifecycle``: current lifecycle stage (potential, new, reactivated, churned, at_risk, loyal, active);
- ``risk_tiers``: churn risk tier from analytics.churn_scores (high, medium, low);
- ``recent_complaint``: true / false, a complaint ticket opened in the last
  ``[actions] complaint_days`` days;
- ``price_sensitive``: true / false, at least ``[actions] price_sensitive_share`` of the customer's
  completed order-line revenue in the last ``price_lookback_days`` days was bought with a discount.

The action code ``no_action`` means "not on the list": customers whose first matching rule is a
``no_action`` rule, or who match no rule, are left out. Reasons may contain placeholders such as
``{days_since_last_order}`` (see ``settings.PLACEHOLDERS``), filled from the data in SQL; the
template text itself is bound as a parameter, never written into the SQL.

**Control group.** Every listed customer is in the control group when
``md5(control_salt || customer_id)``, read as a number from its first 13 hexadecimal digits, is
below ``control_share`` × 16^13. The assignment depends only on the salt and the id, so a customer
stays in the same group from run to run and from one DuckDB version to the next (md5 is fixed);
``control_bucket`` computes the same number in Python. Control customers stay on the list with the
action ``control_no_action`` and keep the action they would have had in ``assigned_action``.

**Lift.** For each earlier list, retention (a completed order within ``evaluation_days`` after the
list date) of treated customers minus that of control customers, with a 95% normal-approximation
confidence interval.

The settings are read in ``settings.py``; the statements are in ``sql/``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

import duckdb

from assets.analytics.actions.settings import (
    ALL_ACTIONS,
    CONTROL_ACTION,
    FLAG_CONDITIONS,
    HASH_DIGITS,
    LIST_CONDITIONS,
    ActionSettings,
    PlaybookRule,
    reason_pieces,
)
from assets.common.consistency import built_for_other_dates
from assets.common.sql import SqlFolder

SQL = SqlFolder(__file__)

CONTROL_LABEL_EN = "Control group: no playbook action"
CONTROL_LABEL_ZH = "对照组：本期不采取行动"
# Two-sided 95% normal quantile used for the lift confidence interval.
Z_95 = 1.96
# Shown in a reason where a placeholder has no value (a prospect has no churn probability).
MISSING = "—"

NBA_TABLE = "analytics.next_best_actions"
HISTORY_TABLE = "analytics.action_list_history"
LIFT_TABLE = "analytics.action_lift"


# --- the playbook --------------------------------------------------------------------------------


def first_matching_rule(rules: Sequence[PlaybookRule], facts: Mapping[str, Any]) -> PlaybookRule | None:
    """The first rule matching a customer's facts ("first match wins"), or None."""
    return next((rule for rule in rules if rule.matches(facts)), None)


def _rule_parameters(settings: ActionSettings) -> dict[str, list]:
    """The playbook's conditions as lists, one entry per rule (sql/playbook_match.sql)."""
    rules = settings.playbook
    params: dict[str, list] = {"rule_positions": [rule.position for rule in rules]}
    for key in (*LIST_CONDITIONS, *FLAG_CONDITIONS):
        params[f"rule_{key}"] = [None if getattr(rule, key) is None
                                 else (list(getattr(rule, key)) if key in LIST_CONDITIONS else getattr(rule, key))
                                 for rule in rules]
    return params


def matched_rules(conn: duckdb.DuckDBPyConnection, settings: ActionSettings, facts: str) -> dict[str, int | None]:
    """customer_id -> position of the first playbook rule matching the row of the table ``facts``
    (columns as in sql/customer_facts.sql), as the list's SQL matches it; None when no rule does."""
    cursor = SQL.run(conn, "playbook_match", {"facts": facts}, **_rule_parameters(settings))
    names = [d[0] for d in cursor.description]
    return {row[names.index("customer_id")]: row[-1] for row in cursor.fetchall()}


def _listed_parameters(settings: ActionSettings) -> dict[str, list]:
    """The action, labels and reason pieces of the rules that put a customer on the list."""
    listed = [rule for rule in settings.playbook if rule.lists_customer]
    params: dict[str, list] = {
        "listed_positions": [rule.position for rule in listed],
        "listed_actions": [rule.action for rule in listed],
        "listed_labels_en": [rule.label_en for rule in listed],
        "listed_labels_zh": [rule.label_zh for rule in listed],
    }
    for language in ("en", "zh"):
        pieces = [reason_pieces(getattr(rule, f"reason_{language}"), rule.name) for rule in listed]
        params[f"reason_{language}_texts"] = [[text for text, _ in rule] for rule in pieces]
        params[f"reason_{language}_placeholders"] = [[field for _, field in rule] for rule in pieces]
    return params


def control_parameters(settings: ActionSettings) -> dict[str, Any]:
    """The parameters of the control-group rule: $control_salt, $control_threshold, $hash_digits."""
    return {"control_salt": settings.control_salt, "control_threshold": settings.control_threshold(),
            "hash_digits": HASH_DIGITS}


def _facts_parameters(as_of: date, settings: ActionSettings) -> dict[str, Any]:
    return {"as_of": as_of, "complaint_days": settings.complaint_days,
            "price_lookback_days": settings.price_lookback_days,
            "price_sensitive_share": settings.price_sensitive_share, **control_parameters(settings)}


# --- control group -------------------------------------------------------------------------------


def control_bucket(salt: str, customer_id: str) -> int:
    """The control-group number of a customer: the first 13 hex digits of md5(salt + id), 0 … 16^13 − 1."""
    return int(hashlib.md5((salt + customer_id).encode("utf-8")).hexdigest()[:HASH_DIGITS], 16)


def is_control(settings: ActionSettings, customer_id: str) -> bool:
    return control_bucket(settings.control_salt, customer_id) < settings.control_threshold()


def control_group(conn: duckdb.DuckDBPyConnection, settings: ActionSettings,
                  customers: str) -> dict[str, tuple[int, bool]]:
    """customer_id -> (control-group number, in the control group) of every customer of the table
    ``customers``, computed in DuckDB as the list does (sql/control_group.sql)."""
    rows = SQL.rows(conn, "control_group", {"customers": customers}, **control_parameters(settings))
    return {customer_id: (number, in_control) for customer_id, number, in_control in rows}


# --- the list ------------------------------------------------------------------------------------


def customer_facts(conn: duckdb.DuckDBPyConnection, as_of: date, settings: ActionSettings) -> list[dict[str, Any]]:
    """The facts the playbook reads, one row per customer to decide on (sql/customer_facts.sql), by column."""
    cursor = SQL.run(conn, "customer_facts", **_facts_parameters(as_of, settings))
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def build_next_best_actions(conn: duckdb.DuckDBPyConnection, as_of: date, settings: ActionSettings) -> None:
    """Rebuild analytics.next_best_actions as of the given date."""
    share = f"{100 * settings.control_share:g}%"
    SQL.run(
        conn, "next_best_actions", **_facts_parameters(as_of, settings), **_rule_parameters(settings),
        **_listed_parameters(settings), missing=MISSING, control_action=CONTROL_ACTION,
        control_label_en=CONTROL_LABEL_EN, control_label_zh=CONTROL_LABEL_ZH,
        control_reason_en=f"Control group (a random, fixed {share} of customers) to measure what the actions "
                          "achieve: no playbook action this time. Would have been: ",
        control_reason_zh=f"对照组（固定随机抽取的 {share} 客户），用于衡量行动效果：本期不执行行动建议。原建议：",
    )


INPUT_TABLES = ("analytics.churn_scores", "analytics.rfm", "analytics.lifecycle", "analytics.key_accounts")


def stale_inputs(conn: duckdb.DuckDBPyConnection, as_of: date) -> list[str]:
    """Input tables built for another as-of date than this run's (empty tables are not stale)."""
    return built_for_other_dates(conn, INPUT_TABLES, as_of)


# --- history -------------------------------------------------------------------------------------


def create_history_table(conn: duckdb.DuckDBPyConnection) -> None:
    """Create analytics.action_list_history, empty, when it does not exist yet."""
    SQL.run(conn, "action_list_history")


def record_action_list(conn: duckdb.DuckDBPyConnection, list_date: date) -> int:
    """Store the current analytics.next_best_actions as the list issued on ``list_date``: that date's
    earlier rows are replaced, other dates are kept, in one transaction. Returns the rows written."""
    create_history_table(conn)
    conn.execute("BEGIN TRANSACTION")
    try:
        [(written,)] = SQL.rows(conn, "action_list", list_date=list_date)
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return int(written)


# --- lift ----------------------------------------------------------------------------------------


def build_action_lift(conn: duckdb.DuckDBPyConnection, as_of: date, settings: ActionSettings) -> None:
    """Rebuild analytics.action_lift (creating an empty history first when there is none)."""
    SQL.run(conn, "action_lift", as_of=as_of, evaluation_days=int(settings.evaluation_days), z=Z_95,
            all_actions=ALL_ACTIONS)


def lift_status(conn: duckdb.DuckDBPyConnection, as_of: date) -> str:
    """In words: which lists were evaluated, or why the lift table is empty."""
    [(lists, first, last, evaluated, complete)] = SQL.rows(conn, "lift_status")
    if not lists:
        return ("empty: no action list has been issued yet (analytics.action_list_history is empty). Lift is "
                "measured once a later run looks back at a list issued by an earlier run.")
    if not evaluated:
        return (f"empty: no list issued before the as-of date {as_of.isoformat()} (history holds {lists} list(s), "
                f"{first.isoformat()} to {last.isoformat()}). A list is evaluated by a run with a later as-of date, "
                "when its customers have had time to order again.")
    running = evaluated - complete
    return (f"{evaluated} list(s) evaluated ({first.isoformat()} onwards), {complete} with a complete evaluation "
            "window" + (f"; {running} still running, counted up to {as_of.isoformat()}." if running else "."))
