"""Next best actions: the playbook and its validation, each shipped rule on a constructed customer,
price sensitivity, the control group, the list history and the lift, on hand-built in-memory
warehouses with answers worked out by hand; plus the checks and one materialisation."""

import hashlib
import itertools
import math
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest
from dagster import AssetKey, AssetSelection, asset, materialize

from assets.analytics.actions.asset import ACTION_ASSETS
from assets.analytics.actions.logic import (
    build_action_lift,
    build_next_best_actions,
    control_bucket,
    control_group,
    create_history_table,
    customer_facts,
    first_matching_rule,
    is_control,
    lift_status,
    matched_rules,
    record_action_list,
    stale_inputs,
)
from assets.analytics.actions.settings import CONTROL_ACTION, DEFAULT_PLAYBOOK, ActionSettings, parse_rule
from assets.common.resources import PipelineSettings, Warehouse
from assets.common.settings import load_thresholds
from checks.analytics.actions import ACTION_CHECKS, control_outcomes, control_share_outcomes, one_row_outcomes
from pipelines.definitions import ALL_ASSETS, build_resources
from tests.conftest import query
from tests.inbox_builders import four_source_inbox

AS_OF = date(2025, 6, 30)
THRESHOLDS = load_thresholds()
SHIPPED = ActionSettings.from_thresholds(THRESHOLDS)
NO_CONTROL = ActionSettings.from_thresholds({**THRESHOLDS, "actions": {**THRESHOLDS.get("actions", {}),
                                                                      "control_share": 0.0}})
LIST_COLUMNS = ["priority_rank", "customer_id", "company", "owner", "grade", "segment", "value_tier",
                "lifecycle_stage", "risk_tier", "churn_probability", "clv_12m", "value_at_risk", "assigned_action",
                "action", "action_label_en", "action_label_zh", "reason_en", "reason_zh", "is_control", "as_of"]
RISK_ZH = {"high": "高", "medium": "中", "low": "低"}


def settings_with(**actions) -> ActionSettings:
    return ActionSettings.from_thresholds({**THRESHOLDS, "actions": {**THRESHOLDS.get("actions", {}), **actions}})


# --- a hand-built warehouse ----------------------------------------------------------------------


def empty_warehouse() -> duckdb.DuckDBPyConnection:
    """In-memory warehouse with the tables the actions read, empty; analytics.churn_scores has the
    lead's schema."""
    conn = duckdb.connect()
    conn.execute("CREATE SCHEMA core; CREATE SCHEMA analytics")
    conn.execute("""CREATE TABLE analytics.churn_scores (customer_id VARCHAR, churn_probability DOUBLE,
        risk_tier VARCHAR, risk_tier_zh VARCHAR, top_reasons VARCHAR, top_reasons_zh VARCHAR,
        interaction_drop BOOLEAN, spend_drop BOOLEAN, complaint_spike BOOLEAN, clv_12m DOUBLE, value_at_risk DOUBLE,
        model VARCHAR, as_of DATE)""")
    conn.execute("CREATE TABLE analytics.rfm (customer_id VARCHAR, segment VARCHAR, segment_zh VARCHAR, "
                 "value_tier VARCHAR, as_of DATE)")
    conn.execute("CREATE TABLE analytics.lifecycle (customer_id VARCHAR, snapshot_date DATE, is_current BOOLEAN, "
                 "stage VARCHAR, stage_zh VARCHAR, days_since_last_order BIGINT, tenure_days BIGINT, as_of DATE)")
    conn.execute("CREATE TABLE analytics.key_accounts (customer_id VARCHAR, grade VARCHAR, as_of DATE)")
    conn.execute("CREATE TABLE core.customers (customer_id VARCHAR, company VARCHAR, owner VARCHAR, "
                 "phone_e164 VARCHAR, email VARCHAR)")
    conn.execute("CREATE TABLE core.order_lines (customer_id VARCHAR, order_date DATE, status VARCHAR, "
                 "discount DECIMAL(18, 2), amount DECIMAL(18, 2))")
    conn.execute("CREATE TABLE core.orders (customer_id VARCHAR, order_date DATE, is_revenue BOOLEAN)")
    conn.execute("CREATE TABLE core.tickets (customer_id VARCHAR, opened_date DATE, is_complaint BOOLEAN)")
    return conn


def add_customer(conn, cid: str, *, stage: str = "active", grade: str | None = None, segment: str | None = None,
                 value_tier: str | None = None, risk: str | None = None, probability: float | None = None,
                 clv: float | None = None, complaints: int = 0, discounted: float = 0.0, full_price: float = 100.0,
                 days_since: int | None = 30, tenure: int | None = 400, as_of: date = AS_OF) -> None:
    """One customer in every table: a prospect (stage potential) has no score, grade, RFM or lines."""
    conn.execute("INSERT INTO core.customers VALUES (?, ?, ?, '+8613800138000', 'x@example.com')",
                 [cid, f"Co {cid}", f"Owner {cid}"])
    prospect = stage == "potential"
    conn.execute("INSERT INTO analytics.lifecycle VALUES (?, ?, true, ?, ?, ?, ?, ?)",
                 [cid, as_of, stage, stage, None if prospect else days_since, None if prospect else tenure, as_of])
    if prospect:
        return
    if probability is None:
        probability = {"high": 0.8, "medium": 0.4, "low": 0.1}[risk or "low"]
    risk = risk or "low"
    var = None if clv is None else probability * clv
    conn.execute("INSERT INTO analytics.churn_scores VALUES (?, ?, ?, ?, 'no order lately', '久未下单', false, false, "
                 "false, ?, ?, 'test', ?)", [cid, probability, risk, RISK_ZH[risk], clv, var, as_of])
    if grade:
        conn.execute("INSERT INTO analytics.key_accounts VALUES (?, ?, ?)", [cid, grade, as_of])
    if segment or value_tier:
        conn.execute("INSERT INTO analytics.rfm VALUES (?, ?, ?, ?, ?)",
                     [cid, segment or "Loyal Customers", "忠诚客户", value_tier or "normal", as_of])
    for i in range(complaints):
        conn.execute("INSERT INTO core.tickets VALUES (?, ?, true)", [cid, as_of - timedelta(days=10 + i)])
    if discounted:
        conn.execute("INSERT INTO core.order_lines VALUES (?, ?, 'completed', 5, ?)", [cid, as_of - timedelta(30),
                                                                                       discounted])
    if full_price:
        conn.execute("INSERT INTO core.order_lines VALUES (?, ?, 'completed', 0, ?)", [cid, as_of - timedelta(30),
                                                                                       full_price])


def the_list(conn) -> dict[str, dict]:
    cursor = conn.execute("SELECT * FROM analytics.next_best_actions ORDER BY priority_rank")
    names = [d[0] for d in cursor.description]
    return {row[1]: dict(zip(names, row, strict=True)) for row in cursor.fetchall()}


# --- the playbook --------------------------------------------------------------------------------


def test_shipped_playbook_order_and_defaults():
    assert [r.action for r in SHIPPED.playbook] == [
        "vip_care_call", "service_recovery", "win_back_offer", "win_back_offer", "welcome_offer", "price_promotion",
        "nurture", "no_action"]
    assert SHIPPED.control_share == 0.10 and SHIPPED.complaint_days == 90 and SHIPPED.evaluation_days == 90
    # without an [actions] section (an older settings file) the same playbook is used
    assert ActionSettings.from_thresholds({"rfm": THRESHOLDS["rfm"]}).playbook == SHIPPED.playbook
    # evaluation_days follows [churn] horizon_days unless [actions] sets it
    assert ActionSettings.from_thresholds({"churn": {"horizon_days": 60}}).evaluation_days == 60
    assert ActionSettings.from_thresholds({"churn": {"horizon_days": 60},
                                           "actions": {"evaluation_days": 30}}).evaluation_days == 30


def test_settings_file_playbook_equals_the_built_in_default():
    if "playbook" not in THRESHOLDS.get("actions", {}):
        pytest.skip("settings.toml has no [[actions.playbook]] yet: the built-in default is used")
    default = tuple(parse_rule(i, raw) for i, raw in enumerate(DEFAULT_PLAYBOOK, start=1))
    assert SHIPPED.playbook == default


@pytest.mark.parametrize(("rule", "message"), [
    ({"grade": ["VIP"]}, r"rule #2 \(test_call\): unknown key\(s\) \['grade'\]"),
    ({"risk_tiers": ["severe"]}, r"rule #2 \(test_call\): unknown risk_tiers \['severe'\]"),
    ({"risk_tiers": "high"}, r"rule #2 \(test_call\): risk_tiers must be a non-empty list"),
    ({"lifecycle": ["sleeping"]}, r"rule #2 \(test_call\): unknown lifecycle \['sleeping'\]"),
    ({"segments": ["Champs"]}, r"rule #2 \(test_call\): unknown segments \['Champs'\]"),
    ({"recent_complaint": "yes"}, r"rule #2 \(test_call\): recent_complaint must be true or false"),
    ({"reason_en": "gone {days_silent} days"}, r"rule #2 \(test_call\) reason_en: unknown placeholder \{days_silent\}"),
    ({"reason_zh": "{value_at_risk:.2f}"}, r"rule #2 \(test_call\) reason_zh: unknown placeholder"),
    ({"reason_en": "a } alone"}, r"rule #2 \(test_call\) reason_en: cannot read"),
    ({"label_en": ""}, r"rule #2 \(test_call\): label_en must be a text \(not empty\)"),
    ({"action": "Call Now"}, r"rule #2 \(Call Now\): action must be a code"),
    ({"action": "control_no_action"}, r"reserved"),
    ({"action": "vip_call", "label_en": "Other"},
     r"rule #2 \(vip_call\) labels the action differently from \[\[actions.playbook\]\] rule #1"),
])
def test_invalid_playbooks_are_refused_naming_the_rule(rule, message):
    first = {"action": "vip_call", "label_en": "VIP call", "label_zh": "VIP", "grades": ["VIP"]}
    second = {"action": "test_call", "label_en": "Test", "label_zh": "测试", "reason_en": "", "reason_zh": "", **rule}
    with pytest.raises(ValueError, match=message):
        settings_with(playbook=[first, second])


def test_invalid_section_values_are_refused():
    with pytest.raises(ValueError, match=r"unknown key\(s\) \['control_shares'\]"):
        settings_with(control_shares=0.2)
    with pytest.raises(ValueError, match="control_share must be"):
        settings_with(control_share=1.0)
    with pytest.raises(ValueError, match="no rule with an action other than no_action"):
        settings_with(playbook=[{"action": "no_action", "label_en": "", "label_zh": ""}])


def test_first_matching_rule_wins_by_hand():
    rules = settings_with(playbook=[
        {"action": "vip", "label_en": "V", "label_zh": "V", "grades": ["VIP"]},
        {"action": "complaint", "label_en": "C", "label_zh": "C", "recent_complaint": True},
        {"action": "quiet_high", "label_en": "Q", "label_zh": "Q", "risk_tiers": ["high"],
         "recent_complaint": False, "value_tiers": ["high", "normal"]},
        {"action": "rest", "label_en": "R", "label_zh": "R"},
    ]).playbook
    first = first_matching_rule

    def act(**facts):
        return first(rules, facts).action
    assert act(grade="VIP", recent_complaint=True, risk_tier="high") == "vip"            # rule 1 before rule 2
    assert act(grade="A", recent_complaint=True, risk_tier="high", value_tier="high") == "complaint"
    assert act(grade="A", recent_complaint=False, risk_tier="high", value_tier="high") == "quiet_high"
    assert act(grade="A", risk_tier="high", value_tier="normal") == "quiet_high"         # missing flag = false
    assert act(grade="A", risk_tier="high", value_tier="low") == "rest"                  # all conditions needed
    assert act(grade=None, risk_tier=None) == "rest"                                     # no value matches no list
    assert first(rules[:3], {"grade": "B"}) is None


def test_sql_matching_agrees_with_python_on_every_combination():
    settings = NO_CONTROL
    conn = duckdb.connect()
    combos = list(itertools.product([None, "VIP", "A", "C"], [None, "high", "low"], [None, "new", "at_risk", "churned",
                                                                                   "potential"],
                                    [None, "high", "medium", "low"], [False, True], [False, True]))
    conn.execute("CREATE TABLE facts (customer_id VARCHAR, grade VARCHAR, value_tier VARCHAR, lifecycle_stage VARCHAR, "
                 "risk_tier VARCHAR, recent_complaint BOOLEAN, price_sensitive BOOLEAN, segment VARCHAR)")
    conn.executemany("INSERT INTO facts VALUES (?, ?, ?, ?, ?, ?, ?, NULL)",
                     [(str(i), *c) for i, c in enumerate(combos)])
    got = matched_rules(conn, settings, "facts")
    keys = ("grade", "value_tier", "lifecycle_stage", "risk_tier", "recent_complaint", "price_sensitive")
    for i, combo in enumerate(combos):
        expected = first_matching_rule(settings.playbook, dict(zip(keys, combo, strict=True)))
        assert got[str(i)] == expected.position, combo


# --- each shipped rule on a constructed customer -------------------------------------------------


def test_each_shipped_rule_fires_for_its_customer():
    conn = empty_warehouse()
    add_customer(conn, "VIP", grade="VIP", risk="low", clv=10000, complaints=2, discounted=500)
    add_customer(conn, "COMPLAINT", grade="B", risk="medium", clv=2000, complaints=2, days_since=45)
    add_customer(conn, "WINBACK_TIER", grade="B", value_tier="high", stage="at_risk", risk="high", clv=8000,
                 days_since=200)
    add_customer(conn, "WINBACK_GRADE", grade="A", value_tier="normal", stage="churned", risk="medium", clv=3000)
    add_customer(conn, "NOT_WINBACK", grade="B", value_tier="normal", stage="at_risk", risk="high", clv=500)
    add_customer(conn, "WELCOME", grade="C", stage="new", risk="low", clv=300, tenure=20)
    add_customer(conn, "PRICE", grade="C", stage="active", risk="medium", clv=400, discounted=60, full_price=40)
    add_customer(conn, "PRICE_LOW_RISK", grade="C", stage="active", risk="low", clv=400, discounted=60, full_price=40)
    add_customer(conn, "PROSPECT", stage="potential")
    add_customer(conn, "QUIET", grade="C", stage="loyal", risk="low", clv=900)
    build_next_best_actions(conn, AS_OF, NO_CONTROL)
    rows = the_list(conn)
    assert {cid: r["assigned_action"] for cid, r in rows.items()} == {
        "VIP": "vip_care_call",              # VIP first, although it also complained and buys on discount
        "COMPLAINT": "service_recovery",
        "WINBACK_TIER": "win_back_offer",    # value tier high
        "WINBACK_GRADE": "win_back_offer",   # grade A
        "WELCOME": "welcome_offer",
        "PRICE": "price_promotion",
        "PROSPECT": "nurture",
    }  # NOT_WINBACK (normal tier, grade B), PRICE_LOW_RISK and QUIET get no_action: not on the list
    assert all(r["action"] == r["assigned_action"] and not r["is_control"] for r in rows.values())
    # reasons with the figures filled in, by hand
    assert rows["COMPLAINT"]["reason_en"] == ("2 complaint ticket(s) in the last 90 days; churn risk medium (40%). "
                                              "Call to put it right before the customer leaves.")
    assert rows["COMPLAINT"]["reason_zh"] == ("近 90 天有 2 张投诉工单；流失风险中（40%）。"
                                              "请致电解决问题，挽回客户信任。")
    assert rows["WINBACK_TIER"]["reason_en"] == ("High-value customer, now at risk, churn risk high (80%): no order "
                                                 "lately. 6,400 CNY at risk.")
    assert rows["PRICE"]["reason_en"] == ("Price-sensitive: 60% of their spend was bought on discount; churn risk "
                                          "medium (40%).")
    assert rows["WELCOME"]["reason_en"].startswith("New customer: first order 20 days ago.")
    assert rows["PROSPECT"]["reason_zh"] == "尚未成交的潜在客户：保持联系，促成首单。"
    assert rows["VIP"]["action_label_zh"] == "VIP 关怀回访" and rows["VIP"]["company"] == "Co VIP"


def test_priority_by_value_at_risk_then_probability_then_id_and_no_contacts():
    conn = empty_warehouse()
    add_customer(conn, "B", grade="VIP", risk="high", probability=0.5, clv=1000)    # 500 at risk
    add_customer(conn, "A", grade="VIP", risk="high", probability=0.25, clv=2000)   # 500 at risk, lower probability
    add_customer(conn, "C", grade="VIP", risk="high", probability=0.5, clv=1000)    # ties B: id decides
    add_customer(conn, "D", grade="VIP", risk="high", probability=0.9, clv=None)    # no CLV: after every value
    add_customer(conn, "E", stage="potential")                                      # prospect: last
    build_next_best_actions(conn, AS_OF, NO_CONTROL)
    assert [r[0] for r in conn.execute("SELECT customer_id FROM analytics.next_best_actions "
                                       "ORDER BY priority_rank").fetchall()] == ["B", "C", "A", "D", "E"]
    assert [d[0] for d in conn.execute("DESCRIBE analytics.next_best_actions").fetchall()] == LIST_COLUMNS
    text = " ".join(str(v) for r in conn.execute("SELECT * FROM analytics.next_best_actions").fetchall() for v in r)
    assert "138" not in text and "@" not in text
    # a reason placeholder without a value is shown as a dash, never as an empty reason
    assert the_list(conn)["D"]["reason_en"].startswith("VIP account: churn risk high (90%), — CNY")


def test_price_sensitivity_by_hand():
    conn = empty_warehouse()
    lines = [
        ("P", AS_OF - timedelta(days=10), "completed", 5, 100),    # discounted
        ("P", AS_OF - timedelta(days=20), "completed", 0, 60),     # full price
        ("P", AS_OF - timedelta(days=30), "completed", 2, 40),     # discounted
        ("P", AS_OF - timedelta(days=30), "refunded", 9, 500),     # refunded: ignored
        ("P", AS_OF + timedelta(days=1), "completed", 9, 500),     # after the as-of date: ignored
        ("P", AS_OF - timedelta(days=730), "completed", 9, 500),   # outside the 730-day look-back: ignored
        ("EDGE", AS_OF - timedelta(days=729), "completed", 1, 50),  # exactly half: price-sensitive (>=)
        ("EDGE", AS_OF, "completed", None, 50),                    # no discount recorded = full price
        ("FULL", AS_OF, "completed", 0, 80),
    ]
    conn.executemany("INSERT INTO core.order_lines VALUES (?, ?, ?, ?, ?)", lines)
    for cid in ("P", "EDGE", "FULL", "NOLINES"):
        conn.execute("INSERT INTO analytics.churn_scores (customer_id, as_of) VALUES (?, ?)", [cid, AS_OF])
    got = {r["customer_id"]: (r["discount_share"], r["price_sensitive"]) for r in customer_facts(conn, AS_OF, SHIPPED)}
    assert got == {"P": (0.7, True), "EDGE": (0.5, True), "FULL": (0.0, False), "NOLINES": (None, False)}
    stricter = {r["customer_id"]: r["price_sensitive"]
                for r in customer_facts(conn, AS_OF, settings_with(price_sensitive_share=0.75))}
    assert stricter == {"P": False, "EDGE": False, "FULL": False, "NOLINES": False}


def test_recent_complaint_window():
    conn = empty_warehouse()
    conn.executemany("INSERT INTO core.tickets VALUES (?, ?, ?)", [
        ("IN", AS_OF - timedelta(days=89), True), ("OUT", AS_OF - timedelta(days=90), True),
        ("NOTCOMPLAINT", AS_OF, False), ("LATER", AS_OF + timedelta(days=1), True)])
    for cid in ("IN", "OUT", "NOTCOMPLAINT", "LATER"):
        conn.execute("INSERT INTO analytics.churn_scores (customer_id, as_of) VALUES (?, ?)", [cid, AS_OF])
    got = {r["customer_id"]: r["recent_complaint"] for r in customer_facts(conn, AS_OF, SHIPPED)}
    assert got == {"IN": True, "OUT": False, "NOTCOMPLAINT": False, "LATER": False}


# --- control group -------------------------------------------------------------------------------


def test_control_number_is_md5_of_salt_and_id_in_sql_and_python():
    conn = duckdb.connect()
    cids = ("C0001", "Cdce5725b044d", "客户-42", "x'y")
    conn.execute("CREATE TABLE ids AS SELECT unnest($ids) AS customer_id", {"ids": list(cids)})
    in_sql = control_group(conn, SHIPPED, "ids")
    for cid in cids:
        expected = int(hashlib.md5(("nba-control-v1" + cid).encode()).hexdigest()[:13], 16)
        assert control_bucket("nba-control-v1", cid) == expected
        assert in_sql[cid][0] == expected
        assert in_sql[cid][1] == is_control(SHIPPED, cid)
    assert 0 <= control_bucket("a", "b") < 16 ** 13


def test_control_share_and_stability_on_10000_customers():
    conn = duckdb.connect()
    conn.execute("CREATE TABLE ids AS SELECT 'C' || lpad(CAST(i AS VARCHAR), 6, '0') AS customer_id "
                 "FROM range(10000) t(i)")
    def group(settings: ActionSettings, customers: str = "ids") -> list[tuple[str]]:
        return sorted((c,) for c, (_, in_control) in control_group(conn, settings, customers).items() if in_control)

    share = len(group(SHIPPED)) / 10000
    assert abs(share - 0.10) <= 0.015
    first = group(SHIPPED)
    # the group of a customer does not depend on who else is scored, nor on the run
    conn.execute("CREATE VIEW later_ids AS SELECT customer_id FROM ids WHERE customer_id >= 'C005000'")
    again = group(SHIPPED, "later_ids")
    assert again == [r for r in first if r[0] >= "C005000"]
    assert first == [(c,) for c in sorted(f"C{i:06d}" for i in range(10000) if is_control(SHIPPED, f"C{i:06d}"))]
    # another salt draws another group of about the same size
    other = settings_with(control_salt="another-experiment")
    other_group = group(other)
    assert abs(len(other_group) / 10000 - 0.10) <= 0.015 and set(other_group) != set(first)
    none = settings_with(control_share=0.0)
    assert group(none) == []


def test_control_customers_stay_on_the_list_without_action():
    conn = empty_warehouse()
    for i in range(300):
        add_customer(conn, f"W{i:03d}", grade="A", stage="at_risk", risk="high", clv=1000 + i)
    build_next_best_actions(conn, AS_OF, SHIPPED)
    rows = the_list(conn)
    control = [r for r in rows.values() if r["is_control"]]
    assert len(rows) == 300 and {r["customer_id"] for r in control} == {c for c in rows if is_control(SHIPPED, c)}
    assert 15 <= len(control) <= 45
    for r in control:
        assert r["action"] == CONTROL_ACTION and r["assigned_action"] == "win_back_offer"
        assert r["action_label_en"] == "Control group: no playbook action"
        assert r["reason_en"].endswith("Would have been: Win-back offer.") and "10%" in r["reason_en"]
        assert r["reason_zh"].endswith("原建议：挽回优惠。")
    outcomes = one_row_outcomes(conn) + control_share_outcomes(conn, SHIPPED) + control_outcomes(conn, SHIPPED)
    assert all(o.success for o in outcomes), [o for o in outcomes if not o.success]


# --- checks --------------------------------------------------------------------------------------


def test_checks_catch_broken_lists():
    conn = empty_warehouse()
    for i in range(250):
        add_customer(conn, f"W{i:03d}", grade="A", stage="at_risk", risk="high", clv=1000 + i)
    build_next_best_actions(conn, AS_OF, SHIPPED)
    # a treated customer listed twice, and a control customer given a real action
    treated = conn.execute("SELECT customer_id FROM analytics.next_best_actions WHERE NOT is_control "
                           "ORDER BY 1 LIMIT 1").fetchall()[0][0]
    held_out = conn.execute("SELECT customer_id FROM analytics.next_best_actions WHERE is_control "
                            "ORDER BY 1 LIMIT 1").fetchall()[0][0]
    conn.execute("INSERT INTO analytics.next_best_actions SELECT * REPLACE (priority_rank + 1000 AS priority_rank) "
                 "FROM analytics.next_best_actions WHERE customer_id = ?", [treated])
    conn.execute("UPDATE analytics.next_best_actions SET action = assigned_action WHERE customer_id = ?", [held_out])
    once = {o.expectation: o for o in one_row_outcomes(conn)}
    assert not once["expect_customer_at_most_once"].success
    assert once["expect_customer_at_most_once"].samples == (f"{treated} × 2",)
    control = {o.expectation: o for o in control_outcomes(conn, SHIPPED)}
    assert not control["expect_control_without_action"].success
    assert control["expect_control_without_action"].samples == (f"{held_out} → win_back_offer",)
    assert control["expect_treated_get_assigned_action"].success
    # a control group twice the configured share fails the share check; below 200 customers it is not judged
    assert not control_share_outcomes(conn, settings_with(control_share=0.25))[0].success
    conn.execute("DELETE FROM analytics.next_best_actions WHERE priority_rank > 150")
    small = control_share_outcomes(conn, settings_with(control_share=0.5))[0]
    assert small.success and small.description.startswith("not evaluated")
    # is_control must follow the salt: with another salt the stored groups are wrong
    assert not {o.expectation: o for o in control_outcomes(conn, settings_with(control_salt="other"))}[
        "expect_control_group_from_salted_hash"].success


# --- history and lift ----------------------------------------------------------------------------


def test_history_is_replaced_per_date_and_kept_across_dates():
    conn = empty_warehouse()
    day1, day2 = date(2025, 3, 31), date(2025, 4, 30)
    for cid in ("A", "B", "C"):
        add_customer(conn, cid, grade="VIP", risk="high", clv=100, as_of=day1)
    build_next_best_actions(conn, day1, SHIPPED)
    assert record_action_list(conn, day1) == 3
    assert record_action_list(conn, day1) == 3  # same date again: replaced, not doubled
    conn.execute("UPDATE analytics.churn_scores SET as_of = ?", [day2])
    conn.execute("DELETE FROM analytics.key_accounts WHERE customer_id = 'C'")
    build_next_best_actions(conn, day2, SHIPPED)
    assert record_action_list(conn, day2) == 2
    counts = conn.execute("SELECT list_date, count(*), count(DISTINCT customer_id) FROM analytics.action_list_history "
                          "GROUP BY 1 ORDER BY 1").fetchall()
    assert counts == [(day1, 3, 3), (day2, 2, 2)]
    row = conn.execute("SELECT * FROM analytics.action_list_history WHERE list_date = ? AND customer_id = 'A'",
                       [day1]).fetchall()[0]
    assert row == (day1, "A", "vip_care_call", is_control(SHIPPED, "A"), 0.8, 80.0)
    # the list of a date never issued leaves history alone (nothing to insert, nothing else deleted)
    assert record_action_list(conn, date(2025, 5, 31)) == 0
    assert conn.execute("SELECT count(*) FROM analytics.action_list_history").fetchall()[0][0] == 5


def lift_warehouse(history: list[tuple], orders: list[tuple]) -> duckdb.DuckDBPyConnection:
    conn = empty_warehouse()
    create_history_table(conn)
    conn.executemany("INSERT INTO analytics.action_list_history VALUES (?, ?, ?, ?, 0.5, 100)", history)
    conn.executemany("INSERT INTO core.orders VALUES (?, ?, ?)", orders)
    return conn


def lift_rows(conn) -> dict[tuple, dict]:
    cursor = conn.execute("SELECT * FROM analytics.action_lift")
    names = [d[0] for d in cursor.description]
    return {(r[0], r[1]): dict(zip(names, r, strict=True)) for r in cursor.fetchall()}


def test_lift_by_hand():
    listed = date(2025, 1, 1)
    end = listed + timedelta(days=90)
    history = ([(listed, f"T{i}", "win_back_offer", False) for i in range(1, 5)]
               + [(listed, f"K{i}", "win_back_offer", True) for i in range(1, 3)]
               + [(listed, "N1", "welcome_offer", False)])
    orders = [
        ("T1", listed + timedelta(days=1), True),   # first day of the window
        ("T2", end, True),                          # last day of the window
        ("T3", listed + timedelta(days=5), True), ("T3", listed + timedelta(days=6), True),  # counted once
        ("T4", listed, True),                       # on the list date: before the window
        ("T4", end + timedelta(days=1), True),      # after the window
        ("T4", listed + timedelta(days=9), False),  # refunded: not a purchase
        ("K1", listed + timedelta(days=30), True),
        ("N1", listed + timedelta(days=3), True),
    ]
    conn = lift_warehouse(history, orders)
    build_action_lift(conn, date(2025, 6, 30), SHIPPED)
    rows = lift_rows(conn)
    assert list(rows) == [(listed, "all"), (listed, "welcome_offer"), (listed, "win_back_offer")]
    win = rows[(listed, "win_back_offer")]
    assert (win["treated_customers"], win["treated_retained"], win["control_customers"], win["control_retained"]) == (
        4, 3, 2, 1)
    assert (win["treated_retention"], win["control_retention"], win["lift"]) == (0.75, 0.5, 0.25)
    half_width = 1.96 * math.sqrt(0.75 * 0.25 / 4 + 0.5 * 0.5 / 2)
    assert win["lift_ci_low"] == round(0.25 - half_width, 6) and win["lift_ci_high"] == round(0.25 + half_width, 6)
    assert win["window_end"] == end and win["window_complete"] is True and win["evaluation_days"] == 90
    welcome = rows[(listed, "welcome_offer")]  # no control customer: no lift, no interval
    assert welcome["treated_retention"] == 1.0 and welcome["control_customers"] == 0
    assert welcome["control_retention"] is None and welcome["lift"] is None and welcome["lift_ci_low"] is None
    everyone = rows[(listed, "all")]
    assert (everyone["treated_customers"], everyone["treated_retained"], everyone["control_customers"]) == (5, 4, 2)
    assert everyone["lift"] == 0.3


def test_lift_windows_open_complete_and_not_started():
    as_of = date(2025, 6, 30)
    history = [(as_of - timedelta(days=90), "A", "x", False), (as_of - timedelta(days=90), "B", "x", True),
               (as_of - timedelta(days=10), "A", "x", False), (as_of - timedelta(days=10), "B", "x", True),
               (as_of, "A", "x", False), (as_of + timedelta(days=5), "A", "x", False)]
    orders = [("A", as_of, True), ("B", as_of + timedelta(days=1), True)]
    conn = lift_warehouse(history, orders)
    build_action_lift(conn, as_of, settings_with(evaluation_days=90))
    got = conn.execute("SELECT list_date, window_end, window_complete, treated_retention, control_retention "
                       "FROM analytics.action_lift WHERE assigned_action = 'all' ORDER BY list_date").fetchall()
    assert got == [(as_of - timedelta(days=90), as_of, True, 1.0, 0.0),
                   (as_of - timedelta(days=10), as_of, False, 1.0, 0.0)]   # open window, cut at the as-of date
    assert lift_status(conn, as_of) == (f"2 list(s) evaluated ({(as_of - timedelta(days=90)).isoformat()} onwards), "
                                        "1 with a complete evaluation window; 1 still running, counted up to "
                                        f"{as_of.isoformat()}.")
    # everybody retained in one group and nobody in the other: no spread, so no interval
    assert conn.execute("SELECT count(*) FROM analytics.action_lift WHERE lift = 1 AND lift_ci_low IS NULL "
                        "AND lift_ci_high IS NULL").fetchall() == [(4,)]


def test_lift_is_empty_without_an_earlier_list_and_says_why():
    conn = empty_warehouse()
    build_action_lift(conn, AS_OF, SHIPPED)   # no history table yet: created empty
    assert conn.execute("SELECT count(*) FROM analytics.action_lift").fetchall()[0][0] == 0
    assert lift_status(conn, AS_OF).startswith("empty: no action list has been issued yet")
    conn.execute("INSERT INTO analytics.action_list_history VALUES (?, 'A', 'x', false, 0.5, 1)", [AS_OF])
    build_action_lift(conn, AS_OF, SHIPPED)
    assert conn.execute("SELECT count(*) FROM analytics.action_lift").fetchall()[0][0] == 0
    assert lift_status(conn, AS_OF).startswith(f"empty: no list issued before the as-of date {AS_OF.isoformat()}")


# --- determinism and inputs ----------------------------------------------------------------------


def test_the_list_is_deterministic():
    def build() -> list[tuple]:
        conn = empty_warehouse()
        for i in range(40):
            add_customer(conn, f"D{i:02d}", grade=["VIP", "A", "B", "C"][i % 4], value_tier=["high", "low"][i % 2],
                         stage=["at_risk", "new", "active", "potential", "churned"][i % 5],
                         risk=["high", "medium", "low"][i % 3], probability=0.5, clv=100.0, complaints=int(i % 7 == 0),
                         discounted=60 if i % 2 else 0)
        build_next_best_actions(conn, AS_OF, SHIPPED)
        return conn.execute("SELECT * FROM analytics.next_best_actions ORDER BY priority_rank").fetchall()
    first = build()
    assert first == build() and len(first) > 10
    # equal value at risk and probability everywhere: the id decides the order
    scored = [r[1] for r in first if r[11] is not None]
    assert scored == sorted(scored)


def test_outdated_inputs_are_reported():
    conn = empty_warehouse()
    add_customer(conn, "A", grade="VIP", risk="high", clv=100)
    assert stale_inputs(conn, AS_OF) == []
    conn.execute("UPDATE analytics.churn_scores SET as_of = DATE '2025-05-31'")
    assert stale_inputs(conn, AS_OF) == ["analytics.churn_scores is built for 2025-05-31"]


# --- one materialisation -------------------------------------------------------------------------


@asset(key=["analytics", "churn_scores"], deps=[AssetKey(["analytics", "clv"]), AssetKey(["analytics", "lifecycle"])])
def stand_in_churn_scores(warehouse: Warehouse, settings: PipelineSettings) -> None:
    """Stand-in for the churn model while it is not in the code location: a probability from the days
    since the last order, clv_12m from analytics.clv."""
    with warehouse.connect() as conn:
        conn.execute("""
            CREATE OR REPLACE TABLE analytics.churn_scores AS
            SELECT l.customer_id, least(l.days_since_last_order / 365.0, 1.0) AS churn_probability,
                   CASE WHEN l.days_since_last_order > 180 THEN 'high' WHEN l.days_since_last_order > 60
                        THEN 'medium' ELSE 'low' END AS risk_tier, '' AS risk_tier_zh, '' AS top_reasons,
                   '' AS top_reasons_zh, false AS interaction_drop, false AS spend_drop, false AS complaint_spike,
                   c.clv_12m, least(l.days_since_last_order / 365.0, 1.0) * c.clv_12m AS value_at_risk,
                   'stand-in' AS model, l.as_of
            FROM analytics.lifecycle l LEFT JOIN analytics.clv c USING (customer_id)
            WHERE l.is_current AND l.stage <> 'potential'""")


def test_action_assets_materialise_on_the_four_source_inbox(paths):
    four_source_inbox(Path(paths.inbox_dir))
    known = {key for a in ALL_ASSETS for key in a.keys}
    extra = [a for a in ACTION_ASSETS if not set(a.keys) & known]
    if AssetKey(["analytics", "churn_scores"]) not in known:
        extra.append(stand_in_churn_scores)
    keys = [AssetKey(["analytics", name]) for name in ("next_best_actions", "action_list_history", "action_lift")]
    # multi-assets (clv, churn) are built whole: select their other tables and those tables' inputs too
    selection = AssetSelection.assets(*keys).upstream().required_multi_asset_neighbors().upstream()
    # the action checks run; other checks are left out (core integrity checks need tables outside the selection)
    result = materialize([*ALL_ASSETS, *extra, *ACTION_CHECKS], resources=build_resources(paths), selection=selection)
    assert result.success
    evaluations = result.get_asset_check_evaluations()
    assert len(evaluations) == 3 and all(e.passed for e in evaluations)
    listed = query(paths, "SELECT customer_id, assigned_action, is_control, as_of FROM analytics.next_best_actions")
    history = query(paths, "SELECT customer_id, assigned_action, is_control, list_date "
                           "FROM analytics.action_list_history")
    assert sorted(listed) == sorted(history)
    assert query(paths, "SELECT count(*) FROM analytics.action_lift") == [(0,)]
    lift_meta = next(m for m in result.get_asset_materialization_events()
                     if m.asset_key == AssetKey(["analytics", "action_lift"])).materialization.metadata
    assert lift_meta["status"].value.startswith("empty: no list issued before the as-of date")
