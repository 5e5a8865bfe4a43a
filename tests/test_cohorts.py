"""Cohort retention on hand-built core tables with answers worked out by hand; the check; one full
materialisation."""

from datetime import date
from decimal import Decimal
from pathlib import Path

from assets.analytics.cohorts.asset import build_cohort_retention
from checks.analytics.cohorts import cohort_outcomes
from tests.conftest import materialize_all, query
from tests.inbox_builders import four_source_inbox
from tests.test_lifecycle import core_warehouse

AS_OF = date(2025, 3, 15)
COLUMNS = ("cohort_month, months_since, month, cohort_customers, active_customers, customer_retention, revenue, "
           "revenue_retention")


def hand_built():
    return core_warehouse(
        [("A", None), ("B", None), ("C", None), ("P", date(2024, 1, 1))],
        [
            ("a1", "A", date(2025, 1, 5), "completed", 100),
            ("a2", "A", date(2025, 1, 20), "completed", 50),   # same month: still one active customer
            ("a3", "A", date(2025, 2, 3), "completed", 50),
            ("b1", "B", date(2025, 1, 31), "completed", 150),
            ("b2", "B", date(2025, 3, 15), "completed", 30),   # on the as-of date: counts
            ("b3", "B", date(2025, 3, 16), "completed", 999),  # after the as-of date: ignored
            ("c0", "C", date(2024, 12, 30), "refunded", 70),   # refunds never count (nor start a cohort)
            ("c1", "C", date(2025, 2, 10), "completed", 40),
            ("c2", "C", date(2025, 3, 1), "cancelled", 40),
        ],
    )


def test_cohort_numbers_by_hand():
    conn = hand_built()
    build_cohort_retention(conn, AS_OF)
    rows = conn.execute(f"SELECT {COLUMNS} FROM analytics.cohort_retention").fetchall()
    jan, feb, mar = date(2025, 1, 1), date(2025, 2, 1), date(2025, 3, 1)
    assert rows == [
        # January cohort: A and B, month-0 revenue 100 + 50 + 150 = 300
        (jan, 0, jan, 2, 2, 1.0, Decimal("300.00"), 1.0),
        (jan, 1, feb, 2, 1, 0.5, Decimal("50.00"), 50 / 300),
        (jan, 2, mar, 2, 1, 0.5, Decimal("30.00"), 30 / 300),
        # February cohort: C (its December order was refunded, its March one cancelled)
        (feb, 0, feb, 1, 1, 1.0, Decimal("40.00"), 1.0),
        (feb, 1, mar, 1, 0, 0.0, Decimal("0.00"), 0.0),
    ]
    assert conn.execute("SELECT DISTINCT as_of FROM analytics.cohort_retention").fetchall() == [(AS_OF,)]
    assert all(o.success for o in cohort_outcomes(conn, AS_OF))


def test_cohort_check_catches_broken_numbers():
    conn = hand_built()
    build_cohort_retention(conn, AS_OF)
    conn.execute("UPDATE analytics.cohort_retention SET active_customers = 1, customer_retention = 0.5 "
                 "WHERE cohort_month = DATE '2025-01-01' AND months_since = 0")
    conn.execute("DELETE FROM analytics.cohort_retention WHERE cohort_month = DATE '2025-02-01' AND months_since = 1")
    month_zero, bounds, months, reconcile = cohort_outcomes(conn, AS_OF)
    assert month_zero.samples == ("2025-01-01: active 1 of 2, revenue retention 1.0",)
    assert bounds.success
    assert months.samples == ("2025-02-01: 1 rows, months_since 0–0",)
    assert reconcile.success  # cohort sizes and revenue still reconcile with core.orders


def test_zero_first_month_revenue_gives_empty_revenue_retention():
    conn = core_warehouse([("Z", None)], [("z1", "Z", date(2025, 2, 1), "completed", 0),
                                          ("z2", "Z", date(2025, 3, 1), "completed", 10)])
    build_cohort_retention(conn, AS_OF)
    assert conn.execute("SELECT months_since, revenue, revenue_retention FROM analytics.cohort_retention").fetchall(
    ) == [(0, Decimal("0.00"), None), (1, Decimal("10.00"), None)]
    assert all(o.success for o in cohort_outcomes(conn, AS_OF))


def test_empty_orders_give_an_empty_table():
    conn = core_warehouse([("P", None)], [])
    build_cohort_retention(conn, AS_OF)
    assert conn.execute("SELECT count(*) FROM analytics.cohort_retention").fetchone() == (0,)
    assert [c[0] for c in conn.execute("DESCRIBE analytics.cohort_retention").fetchall()] == [
        "cohort_month", "months_since", "month", "cohort_customers", "active_customers", "customer_retention",
        "revenue", "revenue_retention", "as_of"]
    assert all(o.success for o in cohort_outcomes(conn, AS_OF))


def test_rebuilding_gives_an_identical_table():
    conn = hand_built()
    build_cohort_retention(conn, AS_OF)
    first = conn.execute("SELECT * FROM analytics.cohort_retention").fetchall()
    build_cohort_retention(conn, AS_OF)
    assert conn.execute("SELECT * FROM analytics.cohort_retention").fetchall() == first


def test_cohort_retention_materialises(paths):
    four_source_inbox(Path(paths.inbox_dir))
    result = materialize_all(paths)
    assert result.success
    evaluations = {e.check_name: e.passed for e in result.get_asset_check_evaluations()}
    assert evaluations["cohort_retention_consistent"]
    # as of 2025-03-01: 杭州瑞达 (January, ¥130) and 北京远景 (March, ¥60; its February order was refunded)
    assert query(paths, "SELECT cohort_month, months_since, cohort_customers, active_customers, revenue "
                        "FROM analytics.cohort_retention") == [
        (date(2025, 1, 1), 0, 1, 1, Decimal("130.00")),
        (date(2025, 1, 1), 1, 1, 0, Decimal("0.00")),
        (date(2025, 1, 1), 2, 1, 0, Decimal("0.00")),
        (date(2025, 3, 1), 0, 1, 1, Decimal("60.00")),
    ]
