"""analytics.key_accounts (重点客户管理表) on hand-built core tables, its checks, and the assets
materialised with Dagster."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from dagster import AssetKey, AssetSelection

from assets.analytics.customer_360.asset import build_customer_360
from assets.analytics.key_accounts.asset import build_key_accounts
from assets.analytics.key_accounts.logic import grade_cut_offs
from assets.analytics.key_accounts.settings import KeyAccountSettings
from assets.common.settings import load_thresholds
from checks.analytics.key_accounts import grade_share_outcomes, graded_once_outcomes, raw_contact_outcomes
from tests.conftest import materialize_all, query, rows_as_dicts
from tests.inbox_builders import four_source_inbox
from tests.test_customer_360 import customer, interaction, make_core, opportunity, order, survey, ticket

AS_OF = date(2025, 6, 30)
THRESHOLDS = load_thresholds()


def build(conn, as_of=AS_OF, thresholds=None) -> dict[str, dict]:
    thresholds = THRESHOLDS if thresholds is None else thresholds
    build_customer_360(conn, as_of)
    build_key_accounts(conn, as_of, thresholds)
    return table(conn)


def table(conn) -> dict[str, dict]:
    return {r["customer_id"]: r for r in rows_as_dicts(conn, "SELECT * FROM analytics.key_accounts")}


def three_buyers(conn):
    """K1 big, loyal, promising; K2 new and small; K3 repeat buyer tied with K2 on revenue; P prospect."""
    return make_core(
        conn,
        customers=[
            customer("K1", "Kilo 有限公司", "金融", "1000+", "+8613800138000", "k1@example.com", "张伟", "王芳"),
            customer("K2", "Lima 有限公司", "零售", "1-49", "+8613900139000", "k2@example.com", "李娜", "陈静"),
            customer("K3", "Mike 有限公司", "Unknown", None, None, "k3@example.com", "赵磊", "陈静"),
            customer("P", "Prospect 有限公司", "金融", "1000+", None, None, "钱七"),
        ],
        orders=[
            order("A0", "K1", "2024-01-01", 100),  # outside the 12 months, counts for tenure and repurchase
            order("A1", "K1", "2024-08-01", 200), order("A2", "K1", "2025-01-01", 200),
            order("A3", "K1", "2025-06-01", 200),
            order("B1", "K2", "2025-06-01", 200),
            order("B2", "K2", "2025-06-15", 999, "refunded"),
            order("C1", "K3", "2025-02-01", 100), order("C2", "K3", "2025-05-01", 100),
        ],
        interactions=[interaction("I1", "K1", "visit", "2025-06-20")],
        surveys=[survey("R1", "K1", "2025-05-01", 9), survey("R3", "K3", "2025-05-01", 5)],
        tickets=[
            ticket("T1", "K1", "2024-12-01", complaint=True),
            ticket("T2", "K1", "2024-06-30", complaint=True),  # 12 months before: outside
            ticket("T3", "K1", "2025-03-01"),
        ],
        opportunities=[opportunity("O1", "K1", 1000, "open", "2025-05-01"),
                       opportunity("O2", "P", 5000, "open", "2025-05-01")],
    )


def test_hand_computed_pillars_scores_and_grades():
    with duckdb.connect() as conn:
        rows = build(three_buyers(conn))
    assert list(rows) == ["K1", "K3", "K2"]  # best score first; the prospect is not graded
    k1, k2, k3 = rows["K1"], rows["K2"], rows["K3"]
    # revenue_12m 600 / 200 / 200 → ranks 83.33 / 33.33 / 33.33; orders_12m 3 / 1 / 2 → 83.33 / 16.67 / 50
    assert (k1["revenue_12m"], k1["orders_12m"], k1["orders_total"]) == (Decimal("600.00"), 3, 4)
    assert (k2["revenue_12m"], k2["orders_12m"], k2["orders_total"]) == (Decimal("200.00"), 1, 1)
    assert [r["purchasing_power"] for r in (k1, k2, k3)] == [83.33, 25.0, 41.67]
    # repurchase 100 / 0 / 100; tenure 546 / 29 / 149 days → 83.33 / 16.67 / 50;
    # NPS 9 / none / 5 → 75 / 50 (neutral) / 25
    assert [r["tenure_days"] for r in (k1, k2, k3)] == [546, 29, 149]
    assert [r["loyalty"] for r in (k1, k2, k3)] == [86.11, 22.22, 58.33]
    # industry 90 / 50 / 50 (unknown), size 100 / 25 / 50 (empty), open opportunities 1000 / 0 / 0 → 83.33 / 33.33
    assert [r["potential"] for r in (k1, k2, k3)] == [91.11, 36.11, 44.44]
    # score = 0.5 purchasing power + 0.3 loyalty + 0.2 potential
    assert [r["score"] for r in (k1, k2, k3)] == [85.72, 26.39, 47.22]
    # N = 3: VIP up to round(0.15) = 0, A up to round(0.6) = 1, B up to round(1.5) = 2, then C
    assert [(r["score_rank"], r["grade"]) for r in (k1, k3, k2)] == [(1, "A"), (2, "B"), (3, "C")]


def test_archive_fields_and_follow_up_dates():
    with duckdb.connect() as conn:
        rows = build(three_buyers(conn))
    k1, k2, k3 = rows["K1"], rows["K2"], rows["K3"]
    assert (k1["company"], k1["contact_name"], k1["phone_masked"], k1["email_masked"], k1["owner"]) == (
        "Kilo 有限公司", "张伟", "138****8000", "k***@example.com", "王芳")
    assert (k1["industry"], k1["company_size"], k1["last_nps"], k1["predicted_value"]) == ("金融", "1000+", 9, None)
    assert (k1["last_order_date"], k1["last_interaction_date"]) == (date(2025, 6, 1), date(2025, 6, 20))
    assert (k1["complaints_12m"], k2["complaints_12m"]) == (1, 0)
    assert (k1["open_opportunity_value"], k2["open_opportunity_value"]) == (Decimal("1000.00"), Decimal("0.00"))
    # K1 (A): last interaction 06-20 + 30 days
    assert (k1["next_follow_up_date"], k1["follow_up_overdue"]) == (date(2025, 7, 20), False)
    # K2 (C): no interaction, last order 06-01 + 90 days
    assert (k2["next_follow_up_date"], k2["follow_up_overdue"]) == (date(2025, 8, 30), False)
    # K3 (B): last order 05-01 + 60 days = 06-30, already due: planned for the day after the as-of date
    assert (k3["next_follow_up_date"], k3["follow_up_overdue"]) == (date(2025, 7, 1), True)
    assert {r["as_of"] for r in rows.values()} == {AS_OF}


def _twenty(conn, identical: bool = False):
    customers = [customer(f"C{i:02d}", industry="制造业", size="50-199") for i in range(20)]
    orders = []
    for i in range(20):
        for j in range(1 if identical else 1 + i % 4):
            orders.append(order(f"O{i:02d}-{j}", f"C{i:02d}", f"2025-0{1 + j}-15", 100 if identical else 100 + 37 * i))
    return make_core(conn, customers=customers, orders=orders)


def test_grade_shares_with_twenty_customers():
    with duckdb.connect() as conn:
        rows = build(_twenty(conn))
        outcomes = grade_share_outcomes(conn, KeyAccountSettings.from_thresholds(THRESHOLDS))
    grades = [r["grade"] for r in sorted(rows.values(), key=lambda r: r["score_rank"])]
    assert grades == ["VIP"] + ["A"] * 3 + ["B"] * 6 + ["C"] * 10  # 5 % / 15 % / 30 % / 50 % of 20
    scores = [r["score"] for r in sorted(rows.values(), key=lambda r: r["score_rank"])]
    assert scores == sorted(scores, reverse=True)
    assert all(o.success for o in outcomes)


def test_ties_get_equal_scores_and_a_deterministic_order():
    with duckdb.connect() as conn:
        rows = build(_twenty(conn, identical=True))
    # equal revenue, orders and tenure → every percentile rank 50; no repurchase; no NPS → 50;
    # 制造业 70, 50-199 50, no opportunities exported → 50
    assert {(r["purchasing_power"], r["loyalty"], r["potential"], r["score"]) for r in rows.values()} == {
        (50.0, 33.33, 56.67, 46.33)
    }
    assert len({r["score"] for r in rows.values()}) == 1
    # equal score and revenue: customer id decides
    assert [cid for cid, _ in sorted(rows.items(), key=lambda kv: kv[1]["score_rank"])] == sorted(rows)
    assert rows["C00"]["grade"] == "VIP" and rows["C19"]["grade"] == "C"


def test_a_single_buying_customer():
    with duckdb.connect() as conn:
        make_core(conn, customers=[customer("C1", industry="物流", size="200-999")],
                  orders=[order("O1", "C1", "2025-06-01", 10)])
        rows = build(conn)
    (row,) = rows.values()
    # every percentile rank of a population of one is 50; no repurchase; NPS missing → 50
    assert (row["purchasing_power"], row["loyalty"], row["potential"]) == (50.0, 33.33, round((60 + 75 + 50) / 3, 2))
    assert row["score"] == round(0.5 * 50 + 0.3 * 33.33 + 0.2 * 61.67, 2)
    assert (row["score_rank"], row["grade"]) == (1, "B")  # round(1 x 0.5) = 1 → B


def test_missing_sources_and_customers_without_recent_orders():
    with duckdb.connect() as conn:
        make_core(conn, customers=[customer("C1"), customer("C2"), customer("C3")],
                  orders=[order("O1", "C1", "2025-06-01", 10), order("O2", "C2", "2023-01-01", 10),
                          order("O3", "C3", "2025-06-01", 10, "cancelled")])
        rows = build(conn)
    assert sorted(rows) == ["C1", "C2"]  # C3 never completed an order
    c2 = rows["C2"]
    assert (c2["revenue_12m"], c2["orders_12m"], c2["orders_total"]) == (Decimal("0.00"), 0, 1)
    for row in rows.values():
        assert row["complaints_12m"] is None and row["open_opportunity_value"] is None
        assert row["last_interaction_date"] is None and row["last_nps"] is None


def test_no_buying_customers_gives_an_empty_table():
    with duckdb.connect() as conn:
        make_core(conn, customers=[customer("P1")])
        assert build(conn) == {}
        assert all(o.success for o in grade_share_outcomes(conn, KeyAccountSettings()))
        assert all(o.success for o in graded_once_outcomes(conn, AS_OF))


def test_rebuilding_is_deterministic():
    with duckdb.connect() as conn:
        _twenty(conn)
        build(conn)
        first = conn.execute("SELECT * FROM analytics.key_accounts").fetchall()
        build(conn)
        assert conn.execute("SELECT * FROM analytics.key_accounts").fetchall() == first


def test_predicted_value_joins_potential_when_clv_exists_for_the_same_date():
    with duckdb.connect() as conn:
        three_buyers(conn)
        conn.execute("CREATE TABLE analytics.clv AS SELECT * FROM (VALUES ('K1', 10.0, DATE '2025-06-30'), "
                     "('K2', 300.0, DATE '2025-06-30'), ('K3', 20.0, DATE '2025-06-30')) "
                     "t(customer_id, clv_12m, as_of)")
        rows = build(conn)
        # predicted ranks 16.67 / 83.33 / 50 join industry, size and opportunities
        assert rows["K2"]["predicted_value"] == 300.0
        assert rows["K2"]["potential"] == round((50 + 25 + 100 / 3 + 250 / 3) / 4, 2)
        assert rows["K1"]["potential"] == round((90 + 100 + 250 / 3 + 50 / 3) / 4, 2)
        # a prediction made for another date is ignored
        conn.execute("UPDATE analytics.clv SET as_of = DATE '2025-05-31'")
        rows = build(conn)
        assert rows["K2"]["predicted_value"] is None and rows["K2"]["potential"] == 36.11


def test_a_profile_for_another_date_is_not_mixed_in():
    with duckdb.connect() as conn:
        three_buyers(conn)
        expected = build(conn)
        build_customer_360(conn, date(2025, 1, 31))  # the published 360 now has another as-of date
        built = build_key_accounts(conn, AS_OF, THRESHOLDS)
        assert built["profile"] != "analytics.customer_360"
        assert table(conn) == expected
        assert conn.execute("SELECT DISTINCT as_of FROM analytics.customer_360").fetchall() == [(date(2025, 1, 31),)]


def test_weights_and_shares_come_from_settings():
    settings = {"key_accounts": {**THRESHOLDS["key_accounts"], "weight_purchasing_power": 1, "weight_loyalty": 0,
                                 "weight_potential": 0, "vip_share": 0.5, "a_share": 0.5, "b_share": 0}}
    with duckdb.connect() as conn:
        rows = build(three_buyers(conn), thresholds=settings)
    assert [r["score"] for r in rows.values()] == [r["purchasing_power"] for r in rows.values()]
    assert sorted(r["grade"] for r in rows.values()) == ["A", "VIP", "VIP"]  # round(1.5) = 2 VIP, then A


@pytest.mark.parametrize("override", [
    {"weight_loyalty": -1},
    {"vip_share": 0.5, "a_share": 0.5, "b_share": 0.5},
    {"follow_up_days": {"VIP": 14, "A": 30}},
    {"industry_points": {"金融": 150}},
])
def test_bad_settings_are_refused(override):
    with pytest.raises(ValueError, match=r"\[key_accounts\]"):
        KeyAccountSettings.from_thresholds({"key_accounts": {**THRESHOLDS["key_accounts"], **override}})


def test_grade_cut_offs_round_half_up():
    ka = KeyAccountSettings()
    assert grade_cut_offs(20, ka) == (1, 4, 10)
    assert grade_cut_offs(10, ka) == (1, 2, 5)  # 0.5 rounds up
    assert grade_cut_offs(1, ka) == (0, 0, 1)


def test_checks_catch_broken_tables():
    with duckdb.connect() as conn:
        _twenty(conn)
        build(conn)
        ka = KeyAccountSettings.from_thresholds(THRESHOLDS)
        assert all(o.success for o in graded_once_outcomes(conn, AS_OF))
        assert all(o.success for o in raw_contact_outcomes(conn, "analytics.key_accounts"))
        conn.execute("UPDATE analytics.key_accounts SET grade = 'VIP' WHERE score_rank = 2")
        failed = {o.expectation for o in grade_share_outcomes(conn, ka) if not o.success}
        assert failed == {"expect_share_up_to_VIP_to_match_settings", "expect_grade_to_follow_score_rank"}
        conn.execute("DELETE FROM analytics.key_accounts WHERE score_rank = 20")
        conn.execute("INSERT INTO analytics.key_accounts SELECT * REPLACE ('CX' AS customer_id) "
                     "FROM analytics.key_accounts WHERE score_rank = 1")
        conn.execute("INSERT INTO analytics.key_accounts SELECT * FROM analytics.key_accounts WHERE score_rank = 3")
        failed = {o.expectation: o.samples for o in graded_once_outcomes(conn, AS_OF) if not o.success}
        assert set(failed) == {"expect_every_buying_customer_to_be_graded", "expect_only_buying_customers_to_be_graded",
                               "expect_customer_id_to_be_unique"}
        assert failed["expect_only_buying_customers_to_be_graded"] == ("CX",)
        conn.execute("UPDATE analytics.key_accounts SET email_masked = 'c01@example.com', "
                     "contact_name = '电话 13800138000' WHERE customer_id = 'C01'")
        leaks = {o.column: o.samples for o in raw_contact_outcomes(conn, "analytics.key_accounts") if not o.success}
        assert leaks == {"email_masked": ("C01",), "contact_name": ("C01",)}


def test_materialised_with_dagster_and_checked(paths):
    four_source_inbox(Path(paths.inbox_dir))
    mine = [AssetKey(["analytics", "customer_360"]), AssetKey(["analytics", "key_accounts"])]
    result = materialize_all(paths, selection=AssetSelection.assets(*mine).upstream().required_multi_asset_neighbors())
    assert result.success
    evaluations = {(e.asset_key.to_user_string(), e.check_name): e.passed
                   for e in result.get_asset_check_evaluations()}
    assert evaluations[("analytics/key_accounts", "every_buyer_graded_once")]
    assert evaluations[("analytics/key_accounts", "grade_shares_match_settings")]
    assert evaluations[("analytics/key_accounts", "no_raw_contacts")]
    assert evaluations[("analytics/customer_360", "no_raw_contacts")]
    rows = query(paths, "SELECT company, grade, phone_masked, email_masked, revenue_12m, complaints_12m "
                        "FROM analytics.key_accounts ORDER BY score_rank")
    # two buyers: round(2 x 0.5) = 1 B, then C; the prospect (成都青木餐饮) is not graded
    assert rows == [("杭州瑞达科技有限公司", "B", "138****8000", "z***@example.com", Decimal("130.00"), 1),
                    ("北京远景物流有限公司", "C", "139****9000", "l***@example.com", Decimal("60.00"), 0)]
    profile = query(paths, "SELECT company, phone_masked, email_masked, tickets, email_open_rate_90d "
                           "FROM analytics.customer_360 ORDER BY company")
    assert ("杭州瑞达科技有限公司", "138****8000", "z***@example.com", 1, 1.0) in profile
    assert ("成都青木餐饮有限公司", None, "z***@example.com", 0, None) in profile
