"""analytics.rfm: scores, segments, value tiers and ABC classes on hand-built data with known answers."""

from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import duckdb
import numpy as np
import pytest

from assets.analytics.rfm.asset import build_rfm, segment_cells
from assets.analytics.rfm.logic import segment_for, uncovered_cells
from assets.analytics.rfm.settings import RfmSettings
from assets.common.settings import load_thresholds
from checks.analytics.rfm import segment_outcomes, share_outcomes
from tests.conftest import materialize_all, query
from tests.inbox_builders import four_source_inbox

AS_OF = date(2025, 12, 31)
SETTINGS = RfmSettings.from_thresholds(load_thresholds()["rfm"])


def orders_warehouse(orders: list[tuple[str, str, date, str, float]]) -> duckdb.DuckDBPyConnection:
    """An in-memory warehouse with core.orders built from (order_id, customer_id, order_date, status, amount)."""
    conn = duckdb.connect()
    conn.execute("CREATE SCHEMA core; CREATE SCHEMA analytics")
    conn.execute("""CREATE TABLE core.orders (order_id VARCHAR, customer_id VARCHAR, order_date DATE,
                    status VARCHAR, amount DECIMAL(18, 2), is_revenue BOOLEAN)""")
    if orders:
        conn.executemany("INSERT INTO core.orders VALUES (?, ?, ?, ?, ?, ? = 'completed')",
                         [(o, c, d, s, a, s) for o, c, d, s, a in orders])
    return conn


def customer_orders(customer: str, recency_days: int, frequency: int, monetary: float) -> list[tuple]:
    """``frequency`` equal completed orders adding up to ``monetary``, the last ``recency_days`` before AS_OF."""
    return [(f"{customer}-{j}", customer, AS_OF - timedelta(days=recency_days + 7 * j), "completed",
             monetary / frequency) for j in range(frequency)]


def rfm_rows(conn: duckdb.DuckDBPyConnection, columns: str) -> dict[str, tuple]:
    return {row[0]: row[1:] for row in conn.execute(f"SELECT customer_id, {columns} FROM analytics.rfm").fetchall()}


# customer: recency_days, frequency, monetary  →  expected r, f, m, fm, segment, value tier, abc class
TEN = {
    "C01": ((1, 10, 50000), (5, 5, 5, 5, "Champions", "high", "A")),
    "C02": ((5, 1, 800), (5, 1, 2, 2, "Potential Loyalist", "low", "C")),
    "C03": ((10, 6, 12000), (4, 4, 4, 4, "Champions", "normal", "A")),
    "C04": ((30, 6, 9000), (4, 4, 4, 4, "Champions", "normal", "A")),  # crosses 80%: still A
    "C05": ((60, 3, 3000), (3, 3, 3, 3, "Loyal Customers", "low", "B")),
    "C06": ((90, 2, 1500), (3, 2, 2, 2, "Need Attention", "low", "C")),
    "C07": ((120, 8, 20000), (2, 5, 5, 5, "At Risk", "high", "A")),
    "C08": ((200, 1, 200), (2, 1, 1, 1, "About To Sleep", "low", "C")),
    "C09": ((400, 5, 6000), (1, 3, 3, 3, "At Risk", "normal", "B")),
    "C10": ((700, 1, 100), (1, 1, 1, 1, "Lost", "low", "C")),
}


@pytest.fixture
def ten() -> duckdb.DuckDBPyConnection:
    orders = [o for c, (facts, _) in TEN.items() for o in customer_orders(c, *facts)]
    orders += [
        ("X1", "C02", AS_OF - timedelta(days=3), "refunded", 99999),  # not revenue
        ("X2", "C10", AS_OF + timedelta(days=1), "completed", 99999),  # after the as-of date
        ("X3", "C10", AS_OF - timedelta(days=730), "completed", 99999),  # just outside the 730-day window
        ("X4", "C11", AS_OF - timedelta(days=800), "completed", 500),  # only bought before the window
        ("X5", "C12", AS_OF - timedelta(days=2), "cancelled", 500),  # never completed an order
    ]
    conn = orders_warehouse(orders)
    build_rfm(conn, AS_OF, SETTINGS)
    return conn


def test_ten_customers_get_the_hand_computed_scores_segments_tiers_and_classes(ten):
    rows = rfm_rows(ten, "recency_days, frequency, monetary, r_score, f_score, m_score, fm_score, segment, "
                         "value_tier, abc_class, rfm_code")
    assert sorted(rows) == sorted(TEN)  # C11 (before the window) and C12 (no completed order) are not in
    for customer, ((recency, frequency, monetary), expected) in TEN.items():
        row = rows[customer]
        assert row[:3] == (recency, frequency, Decimal(monetary)), customer
        assert row[3:10] == expected, customer
        assert row[10] == f"{expected[0]}{expected[1]}{expected[2]}"


def test_chinese_names_shares_and_as_of(ten):
    rows = rfm_rows(ten, "segment_zh, value_tier_zh, revenue_share, cumulative_revenue_share, as_of")
    assert rows["C01"][:2] == ("重要价值客户", "高价值")
    assert rows["C10"][:2] == ("流失客户", "低价值")
    assert rows["C04"][:2] == ("重要价值客户", "普通")
    total = 102600
    assert rows["C01"][2] == pytest.approx(50000 / total)
    assert rows["C04"][3] == pytest.approx(91000 / total)  # C01 + C07 + C03 + C04
    assert rows["C10"][3] == pytest.approx(1.0)  # last in the ranking
    assert {r[4] for r in rows.values()} == {AS_OF}
    assert ten.execute("SELECT sum(revenue_share) FROM analytics.rfm WHERE abc_class = 'A'").fetchone()[0] >= 0.8


def test_rows_are_ordered_by_customer_and_rebuilds_are_identical(ten):
    first = ten.execute("SELECT * FROM analytics.rfm").fetchall()
    assert [r[0] for r in first] == sorted(TEN)
    build_rfm(ten, AS_OF, SETTINGS)
    assert ten.execute("SELECT * FROM analytics.rfm").fetchall() == first


def test_all_customers_equal_get_the_middle_score():
    conn = orders_warehouse([o for c in ("A", "B", "C", "D", "E") for o in customer_orders(c, 10, 1, 100)])
    build_rfm(conn, AS_OF, SETTINGS)
    rows = conn.execute("SELECT customer_id, r_score, f_score, m_score, fm_score, segment, value_tier, revenue_share, "
                        "abc_class FROM analytics.rfm ORDER BY customer_id").fetchall()
    assert [r[1:7] for r in rows] == [(3, 3, 3, 3, "Loyal Customers", "normal")] * 5
    assert [r[7] for r in rows] == pytest.approx([0.2] * 5)
    # Pareto ties are broken by customer_id: A until 80% of revenue is reached
    assert [r[8] for r in rows] == ["A", "A", "A", "A", "B"]


def test_a_single_customer():
    conn = orders_warehouse(customer_orders("SOLO", 3, 2, 10))
    build_rfm(conn, AS_OF, SETTINGS)
    assert conn.execute("SELECT rfm_code, segment, value_tier, revenue_share, cumulative_revenue_share, abc_class "
                        "FROM analytics.rfm").fetchall() == [("333", "Loyal Customers", "normal", 1.0, 1.0, "A")]


def test_no_orders_gives_an_empty_table_and_the_checks_pass():
    conn = orders_warehouse([])
    build_rfm(conn, AS_OF, SETTINGS)
    assert conn.execute("SELECT count(*) FROM analytics.rfm").fetchone()[0] == 0
    assert all(o.success for o in segment_outcomes(conn, AS_OF, SETTINGS) + share_outcomes(conn, SETTINGS))


def test_zero_revenue_customers_get_zero_shares():
    conn = orders_warehouse(customer_orders("FREE1", 3, 1, 0) + customer_orders("FREE2", 9, 1, 0))
    build_rfm(conn, AS_OF, SETTINGS)
    assert conn.execute("SELECT revenue_share, abc_class FROM analytics.rfm").fetchall() == [(0.0, "C")] * 2
    assert all(o.success for o in share_outcomes(conn, SETTINGS))


@pytest.fixture
def random_population() -> duckdb.DuckDBPyConnection:
    """500 customers with many ties: recency in 0..29 days, 1..6 orders, amounts in 10 steps."""
    rng = np.random.default_rng(3)
    orders = []
    for i in range(500):
        orders += customer_orders(f"R{i:03d}", int(rng.integers(0, 30)), int(rng.integers(1, 7)),
                                  float(rng.integers(1, 11) * 60))
    conn = orders_warehouse(orders)
    build_rfm(conn, AS_OF, SETTINGS)
    return conn


def test_ties_share_a_score_and_scores_follow_the_values(random_population):
    conn = random_population
    for value, score, direction in (("recency_days", "r_score", -1), ("frequency", "f_score", 1),
                                    ("monetary", "m_score", 1)):
        pairs = conn.execute(f"SELECT DISTINCT {value}, {score} FROM analytics.rfm ORDER BY 1").fetchall()
        values = [p[0] for p in pairs]
        assert len(values) == len(set(values)), f"equal {value} with different {score}"
        scores = [p[1] for p in pairs][::direction]
        assert scores == sorted(scores) and set(scores) <= {1, 2, 3, 4, 5}
    # every customer in one segment, shares add up, A brings at least 80%
    assert all(o.success for o in segment_outcomes(conn, AS_OF, SETTINGS) + share_outcomes(conn, SETTINGS))
    share_a, = conn.execute("SELECT sum(revenue_share) FROM analytics.rfm WHERE abc_class = 'A'").fetchone()
    assert 0.8 <= share_a < 0.8 + conn.execute("SELECT max(revenue_share) FROM analytics.rfm").fetchone()[0]


def test_distinct_values_fill_the_quintiles_evenly():
    conn = orders_warehouse([o for i in range(100) for o in customer_orders(f"Q{i:03d}", i, 1, 10 + i)])
    build_rfm(conn, AS_OF, SETTINGS)
    counts = conn.execute("SELECT m_score, count(*) FROM analytics.rfm GROUP BY 1 ORDER BY 1").fetchall()
    assert counts == [(s, 20) for s in range(1, 6)]
    tiers = dict(conn.execute("SELECT value_tier, count(*) FROM analytics.rfm GROUP BY 1").fetchall())
    assert tiers == {"high": 20, "normal": 30, "low": 50}


def test_segment_scheme_grid_first_match_wins():
    # rows r = 5..1, columns fm = 1..5, read from the [[rfm.segments]] rules by hand
    expected = {
        5: ["New Customers", "Potential Loyalist", "Loyal Customers", "Champions", "Champions"],
        4: ["New Customers", "Potential Loyalist", "Loyal Customers", "Champions", "Champions"],
        3: ["Promising", "Need Attention", "Loyal Customers", "Loyal Customers", "Loyal Customers"],
        2: ["About To Sleep", "About To Sleep", "At Risk", "At Risk", "At Risk"],
        1: ["Lost", "Hibernating", "At Risk", "Can't Lose Them", "Can't Lose Them"],
    }
    for r, names in expected.items():
        assert [segment_for(SETTINGS.segments, r, fm).name for fm in range(1, 6)] == names
    assert len(SETTINGS.segments) == 11 and uncovered_cells(SETTINGS.segments, 5) == []


def test_the_sql_uses_the_same_first_match_rule_for_every_score_pair():
    # 25 customers, one per (r, fm) cell is hard to build from orders; evaluate the lookup directly
    conn = duckdb.connect()
    rows = segment_cells(conn, SETTINGS)
    assert len(rows) == 25
    assert all(name == segment_for(SETTINGS.segments, r, fm).name for r, fm, name, _ in rows)


def test_settings_leaving_score_pairs_uncovered_are_rejected():
    section = {**load_thresholds()["rfm"]}
    section["segments"] = [s for s in section["segments"] if s["name"] != "Lost"]
    with pytest.raises(ValueError, match=r"\(r=1, fm=1\)"):
        RfmSettings.from_thresholds(section)


def test_checks_catch_a_broken_table(ten):
    assert all(o.success for o in segment_outcomes(ten, AS_OF, SETTINGS) + share_outcomes(ten, SETTINGS))
    ten.execute("DELETE FROM analytics.rfm WHERE customer_id = 'C05'")
    ten.execute("INSERT INTO analytics.rfm SELECT * FROM analytics.rfm WHERE customer_id = 'C01'")
    ten.execute("UPDATE analytics.rfm SET segment = 'Bogus' WHERE customer_id = 'C02'")
    failed = {o.expectation: o.samples for o in segment_outcomes(ten, AS_OF, SETTINGS) if not o.success}
    assert failed == {"expect_every_buyer_in_rfm": ("C05",), "expect_one_row_per_customer": ("C01 × 2",),
                      "expect_segment_in_scheme": ("C02 → Bogus",)}
    assert {o.expectation for o in share_outcomes(ten, SETTINGS) if not o.success} == {
        "expect_revenue_shares_sum_to_1"}


def test_materialised_from_exports_with_passing_checks(paths):
    four_source_inbox(Path(paths.inbox_dir))
    result = materialize_all(paths)
    assert result.success
    rows = query(paths, """SELECT c.company, r.recency_days, r.frequency, r.monetary, r.rfm_code, r.segment,
                                  r.value_tier, r.abc_class, r.as_of
                           FROM analytics.rfm r JOIN core.customers c USING (customer_id) ORDER BY c.company""")
    # as of 2025-03-01 (newest order); the refunded order O2 does not count, the prospect is not in
    assert rows == [
        ("北京远景物流有限公司", 0, 1, Decimal("60.00"), "432", "Loyal Customers", "low", "A", date(2025, 3, 1)),
        ("杭州瑞达科技有限公司", 55, 1, Decimal("130.00"), "234", "At Risk", "normal", "A", date(2025, 3, 1)),
    ]
    evaluations = {e.check_name: e.passed for e in result.get_asset_check_evaluations()
                   if e.asset_key.path == ["analytics", "rfm"]}
    assert evaluations == {"rfm_every_buyer_in_one_segment": True, "rfm_revenue_shares_sum_to_100": True}
