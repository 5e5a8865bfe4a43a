"""Lifecycle stages, their monthly history and transitions, on hand-built core tables with answers
worked out by hand; plus the checks and one full materialisation."""

from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest

from assets.analytics.lifecycle.logic import build_lifecycle, build_lifecycle_transitions, snapshot_dates
from assets.analytics.lifecycle.settings import LifecycleRules
from assets.common.settings import load_thresholds
from checks.analytics.lifecycle import one_stage_outcomes, shares_outcomes, transitions_outcomes
from tests.conftest import materialize_all, query
from tests.inbox_builders import four_source_inbox

DEFAULT_RULES = LifecycleRules.from_settings(load_thresholds()["lifecycle"])
AS_OF = date(2025, 6, 30)


def core_warehouse(customers: list[tuple], orders: list[tuple]) -> duckdb.DuckDBPyConnection:
    """An in-memory warehouse with core.customers (customer_id, created_date) and core.orders
    (order_id, customer_id, order_date, status, amount); is_revenue = completed."""
    conn = duckdb.connect()
    conn.execute("CREATE SCHEMA core; CREATE SCHEMA analytics")
    conn.execute("CREATE TABLE core.customers (customer_id VARCHAR, company VARCHAR, created_date DATE)")
    conn.execute(
        "CREATE TABLE core.orders (order_id VARCHAR, customer_id VARCHAR, order_ts TIMESTAMP, order_date DATE, "
        "status VARCHAR, amount DECIMAL(18, 2), is_revenue BOOLEAN)"
    )
    if customers:
        conn.executemany("INSERT INTO core.customers VALUES (?, 'Co ' || ?, ?)",
                         [(cid, cid, created) for cid, created in customers])
    if orders:
        conn.executemany(
            "INSERT INTO core.orders VALUES (?, ?, CAST(? AS TIMESTAMP), ?, ?, ?, ? = 'completed')",
            [(oid, cid, day, day, status, amount, status) for oid, cid, day, status, amount in orders],
        )
    return conn


def days_before(as_of: date, *days: int) -> list[date]:
    return [as_of - timedelta(days=d) for d in days]


def purchases(customer: str, dates: list[date], status: str = "completed", amount: float = 100.0) -> list[tuple]:
    return [(f"{customer}-{i}", customer, d, status, amount) for i, d in enumerate(dates)]


def rules(**changes) -> LifecycleRules:
    base = {k: getattr(DEFAULT_RULES, k) for k in DEFAULT_RULES.__dataclass_fields__}
    return LifecycleRules.from_settings({**base, **changes})


def stages(conn, snapshot: date | None = None) -> dict[str, str]:
    where = "is_current" if snapshot is None else f"snapshot_date = DATE '{snapshot.isoformat()}'"
    return dict(conn.execute(f"SELECT customer_id, stage FROM analytics.lifecycle WHERE {where}").fetchall())


def row(conn, customer: str, snapshot: date | None = None) -> dict:
    where = "is_current" if snapshot is None else f"snapshot_date = DATE '{snapshot.isoformat()}'"
    cursor = conn.execute(f"SELECT * FROM analytics.lifecycle WHERE customer_id = ? AND {where}", [customer])
    names = [d[0] for d in cursor.description]
    return dict(zip(names, cursor.fetchone(), strict=True))


# --- snapshot dates and settings -----------------------------------------------------------------


def test_snapshots_are_previous_month_ends_then_the_as_of_date():
    assert snapshot_dates(date(2024, 3, 15), 3) == [date(2023, 12, 31), date(2024, 1, 31), date(2024, 2, 29),
                                                     date(2024, 3, 15)]
    assert snapshot_dates(date(2025, 3, 31), 1) == [date(2025, 2, 28), date(2025, 3, 31)]
    assert snapshot_dates(date(2025, 3, 31), 0) == [date(2025, 3, 31)]
    assert len(snapshot_dates(AS_OF, DEFAULT_RULES.history_months)) == 25


def test_settings_are_validated_by_key():
    assert DEFAULT_RULES.churn_days == 365 and DEFAULT_RULES.at_risk_gap_multiplier == 2.0
    section = dict(load_thresholds()["lifecycle"])
    del section["churn_days"]
    with pytest.raises(ValueError, match="churn_days"):
        LifecycleRules.from_settings(section)
    with pytest.raises(ValueError, match="new_days"):
        LifecycleRules.from_settings({**load_thresholds()["lifecycle"], "new_days": -1})


# --- the stage rules -----------------------------------------------------------------------------


def test_a_customer_last_seen_400_days_ago_is_churned():
    conn = core_warehouse(
        [("SINGLE", date(2020, 1, 1)), ("REGULAR", date(2020, 1, 1)), ("EDGE", date(2020, 1, 1))],
        purchases("SINGLE", days_before(AS_OF, 400))
        + purchases("REGULAR", days_before(AS_OF, 400, 430, 460, 490, 520, 550))
        + purchases("EDGE", days_before(AS_OF, 365)),
    )
    build_lifecycle(conn, AS_OF, DEFAULT_RULES)
    assert stages(conn) == {"SINGLE": "churned", "REGULAR": "churned", "EDGE": "at_risk"}  # > 365 days only
    assert row(conn, "SINGLE")["days_since_last_order"] == 400
    assert row(conn, "REGULAR")["orders_to_date"] == 6
    # a month earlier (2025-05-31, 370 days) already churned; at 2025-04-30 (339 days) still at risk
    assert stages(conn, date(2025, 5, 31))["SINGLE"] == "churned"
    assert stages(conn, date(2025, 4, 30))["SINGLE"] == "at_risk"


def test_a_reactivated_customer_is_recognised():
    back = date(2025, 5, 1)
    conn = core_warehouse(
        [("BACK", date(2022, 1, 1)), ("EXACT", date(2022, 1, 1)), ("SHORT", date(2022, 1, 1))],
        purchases("BACK", [date(2023, 1, 10), date(2023, 2, 10), back])  # 445 days silent, then back
        + purchases("EXACT", [back - timedelta(days=365), back])          # silence of exactly churn_days
        + purchases("SHORT", [back - timedelta(days=364), back]),         # one day short of a silence
    )
    build_lifecycle(conn, AS_OF, DEFAULT_RULES)
    build_lifecycle_transitions(conn)
    assert stages(conn) == {"BACK": "reactivated", "EXACT": "reactivated", "SHORT": "active"}
    current = row(conn, "BACK")
    assert current["last_return_date"] == back and current["days_since_last_order"] == 60
    assert current["orders_to_date"] == 3 and current["purchase_days"] == 3
    # history: churned at the end of April, reactivated at the end of May
    assert stages(conn, date(2025, 4, 30))["BACK"] == "churned"
    assert stages(conn, date(2025, 5, 31))["BACK"] == "reactivated"
    moves = conn.execute(
        "SELECT from_stage, to_stage, customers FROM analytics.lifecycle_transitions "
        "WHERE month = DATE '2025-05-01' AND to_stage = 'reactivated' ORDER BY from_stage"
    ).fetchall()
    assert ("churned", "reactivated", 1) in moves


def test_reactivated_lasts_reactivated_days_after_the_return():
    first, back = date(2023, 1, 10), date(2025, 3, 1)
    conn = core_warehouse([("BACK", None)], purchases("BACK", [first, back]))
    build_lifecycle(conn, back + timedelta(days=90), DEFAULT_RULES)
    assert stages(conn) == {"BACK": "reactivated"}
    # 91 days after the return: two purchase days, usual gap 781 days, silent 91 days < 2 × 781 → active
    build_lifecycle(conn, back + timedelta(days=91), DEFAULT_RULES)
    assert stages(conn) == {"BACK": "active"}
    assert row(conn, "BACK")["usual_gap_days"] == (back - first).days


def test_new_customers_within_new_days_of_their_first_order():
    conn = core_warehouse(
        [("NEW90", None), ("OLD91", None), ("NEWREPEAT", None)],
        purchases("NEW90", days_before(AS_OF, 90))
        + purchases("OLD91", days_before(AS_OF, 91))
        + purchases("NEWREPEAT", days_before(AS_OF, 80, 5)),
    )
    build_lifecycle(conn, AS_OF, DEFAULT_RULES)
    # OLD91: one purchase day, silent 91 ≥ at_risk_min_days 60 → at risk
    assert stages(conn) == {"NEW90": "new", "OLD91": "at_risk", "NEWREPEAT": "new"}
    assert row(conn, "NEW90")["tenure_days"] == 90


def test_loyal_needs_enough_orders_and_tenure():
    recent = days_before(AS_OF, 400, 300, 200, 100, 10)
    conn = core_warehouse(
        [("LOYAL", None), ("FOUR", None), ("YOUNG", None)],
        purchases("LOYAL", recent)
        + purchases("FOUR", days_before(AS_OF, 500, 300, 200, 10))          # 4 orders only
        + purchases("YOUNG", days_before(AS_OF, 300, 200, 150, 100, 10)),    # 5 orders, tenure 300 < 365
    )
    build_lifecycle(conn, AS_OF, DEFAULT_RULES)
    assert stages(conn) == {"LOYAL": "loyal", "FOUR": "active", "YOUNG": "active"}
    assert row(conn, "LOYAL")["orders_to_date"] == 5


def test_at_risk_when_silent_past_the_usual_gap():
    custom = rules(new_days=10, at_risk_gap_multiplier=2, at_risk_min_days=30)
    every_ten = [0, 10, 20, 30, 40]  # days after a start; usual gap 10
    start_risk = AS_OF - timedelta(days=80)  # last order 40 days before as-of
    start_short = AS_OF - timedelta(days=60)  # last order 20 days before: 20 > 2 × 10 but < 30 days
    conn = core_warehouse(
        [("RISK", None), ("SHORT", None), ("SLOW", None), ("ONCE", None), ("SAMEDAY", None)],
        purchases("RISK", [start_risk + timedelta(days=d) for d in every_ten])
        + purchases("SHORT", [start_short + timedelta(days=d) for d in every_ten])
        + purchases("SLOW", days_before(AS_OF, 75, 55, 35))        # usual gap 20, silent 35 ≤ 40 → active
        + purchases("ONCE", days_before(AS_OF, 30))                # no usual gap: min 30 days alone
        + purchases("SAMEDAY", days_before(AS_OF, 100, 100, 70)),  # gap 30 (same day once), silent 70 > 60
    )
    build_lifecycle(conn, AS_OF, custom)
    assert stages(conn) == {"RISK": "at_risk", "SHORT": "active", "SLOW": "active", "ONCE": "at_risk",
                            "SAMEDAY": "at_risk"}
    assert row(conn, "RISK")["usual_gap_days"] == 10.0 and row(conn, "RISK")["days_since_last_order"] == 40
    sameday = row(conn, "SAMEDAY")
    assert (sameday["orders_to_date"], sameday["purchase_days"], sameday["usual_gap_days"]) == (3, 2, 30.0)


def test_potential_prospects_and_when_customers_enter_the_snapshots():
    conn = core_warehouse(
        [("PROSPECT", date(2025, 5, 10)), ("NODATE", None), ("REFUNDED", date(2025, 1, 1)), ("LATER", None)],
        purchases("REFUNDED", [date(2025, 2, 1)], status="refunded")
        + purchases("LATER", [AS_OF + timedelta(days=1)]),  # only an order after the as-of date
    )
    build_lifecycle(conn, AS_OF, DEFAULT_RULES)
    assert stages(conn) == {"PROSPECT": "potential", "NODATE": "potential", "REFUNDED": "potential"}
    prospect = row(conn, "PROSPECT")
    assert prospect["days_since_last_order"] is None and prospect["orders_to_date"] == 0
    assert prospect["stage_zh"] == "潜在"
    appearances = dict(conn.execute(
        "SELECT customer_id, count(*) FROM analytics.lifecycle GROUP BY 1").fetchall())
    # PROSPECT from its creation (May month-end + as-of), NODATE always, REFUNDED from January
    assert appearances == {"PROSPECT": 2, "NODATE": 25, "REFUNDED": 6}


def test_completed_orders_only_and_orders_after_the_snapshot_ignored():
    conn = core_warehouse(
        [("C", None)],
        [*purchases("C", days_before(AS_OF, 200)),
         ("R", "C", AS_OF - timedelta(days=5), "refunded", 10.0),
         ("F", "C", AS_OF + timedelta(days=3), "completed", 10.0)],
    )
    build_lifecycle(conn, AS_OF, DEFAULT_RULES)
    current = row(conn, "C")
    assert (current["stage"], current["orders_to_date"], current["days_since_last_order"]) == ("at_risk", 1, 200)


# --- invariants, transitions, edge cases -----------------------------------------------------------


def mixed_warehouse() -> duckdb.DuckDBPyConnection:
    return core_warehouse(
        [("P", date(2024, 12, 1)), ("N", None), ("B", date(2022, 1, 1)), ("L", None), ("X", date(2023, 1, 1)),
         ("Q", None)],
        purchases("N", days_before(AS_OF, 20))
        + purchases("B", [date(2023, 1, 10), date(2025, 5, 1)])
        + purchases("L", days_before(AS_OF, 700, 500, 300, 200, 100, 30))
        + purchases("X", days_before(AS_OF, 600, 580))
        + purchases("Q", days_before(AS_OF, 150), status="cancelled"),
    )


def test_every_customer_in_exactly_one_stage_and_shares_sum_to_one():
    conn = mixed_warehouse()
    build_lifecycle(conn, AS_OF, DEFAULT_RULES)
    assert stages(conn) == {"P": "potential", "N": "new", "B": "reactivated", "L": "loyal", "X": "churned",
                            "Q": "potential"}
    outcomes = one_stage_outcomes(conn) + shares_outcomes(conn, AS_OF, DEFAULT_RULES.history_months)
    assert all(o.success for o in outcomes), outcomes
    per_snapshot = conn.execute(
        "SELECT snapshot_date, count(*), count(DISTINCT customer_id) FROM analytics.lifecycle GROUP BY 1"
    ).fetchall()
    assert len(per_snapshot) == 25 and all(rows == distinct for _, rows, distinct in per_snapshot)

    # a duplicated row and a dropped customer are caught
    conn.execute("INSERT INTO analytics.lifecycle SELECT * FROM analytics.lifecycle WHERE customer_id = 'N'")
    conn.execute("DELETE FROM analytics.lifecycle WHERE customer_id = 'P' AND is_current")
    unique, in_set = one_stage_outcomes(conn)
    assert not unique.success and unique.unexpected_count == 1 and in_set.success
    shares, dates = shares_outcomes(conn, AS_OF, DEFAULT_RULES.history_months)
    assert not shares.success and dates.success
    assert shares.samples == ("2025-06-30: stage shares sum to 83.3333% (5 known customers staged of 6, 6 rows)",)


def test_transitions_add_up_to_the_snapshots():
    conn = mixed_warehouse()
    build_lifecycle(conn, AS_OF, DEFAULT_RULES)
    build_lifecycle_transitions(conn)
    assert all(o.success for o in transitions_outcomes(conn))
    months = conn.execute("SELECT count(DISTINCT month), min(month), max(month) FROM analytics.lifecycle_transitions"
                          ).fetchone()
    assert months == (24, date(2023, 7, 1), date(2025, 6, 1))
    june = conn.execute(
        "SELECT from_stage, to_stage, customers FROM analytics.lifecycle_transitions "
        "WHERE month = DATE '2025-06-01' ORDER BY from_stage, to_stage"
    ).fetchall()
    # N's first order (2025-06-10) came after the May snapshot: it enters from 'none'
    assert june == [("churned", "churned", 1), ("loyal", "loyal", 1), ("none", "new", 1),
                    ("potential", "potential", 2), ("reactivated", "reactivated", 1)]
    totals = conn.execute(
        "SELECT t.month, sum(t.customers), any_value(s.n) FROM analytics.lifecycle_transitions t "
        "JOIN (SELECT snapshot_date, count(*) AS n FROM analytics.lifecycle GROUP BY 1) s USING (snapshot_date) "
        "GROUP BY t.month"
    ).fetchall()
    assert all(moved == staged for _, moved, staged in totals)


def test_empty_orders_and_empty_customers():
    conn = core_warehouse([("P1", None), ("P2", date(2025, 6, 1))], [])
    build_lifecycle(conn, AS_OF, DEFAULT_RULES)
    build_lifecycle_transitions(conn)
    assert stages(conn) == {"P1": "potential", "P2": "potential"}
    assert all(o.success for o in one_stage_outcomes(conn) + shares_outcomes(conn, AS_OF, 24)
               + transitions_outcomes(conn))

    conn = core_warehouse([], [])
    build_lifecycle(conn, AS_OF, DEFAULT_RULES)
    build_lifecycle_transitions(conn)
    assert conn.execute("SELECT count(*) FROM analytics.lifecycle").fetchone() == (0,)
    assert conn.execute("SELECT count(*) FROM analytics.lifecycle_transitions").fetchone() == (0,)
    assert all(o.success for o in one_stage_outcomes(conn) + shares_outcomes(conn, AS_OF, 24)
               + transitions_outcomes(conn))


def test_rebuilding_gives_identical_ordered_tables():
    conn = mixed_warehouse()
    snapshots = []
    for _ in range(2):
        build_lifecycle(conn, AS_OF, DEFAULT_RULES)
        build_lifecycle_transitions(conn)
        snapshots.append((conn.execute("SELECT * FROM analytics.lifecycle").fetchall(),
                          conn.execute("SELECT * FROM analytics.lifecycle_transitions").fetchall()))
    assert snapshots[0] == snapshots[1]
    keys = [(r[1], r[0]) for r in snapshots[0][0]]
    assert keys == sorted(keys)
    assert all(r[-1] == AS_OF for r in snapshots[0][0] + snapshots[0][1])


# --- the assets in a Dagster run -----------------------------------------------------------------


def test_lifecycle_assets_and_checks_materialise(paths):
    four_source_inbox(Path(paths.inbox_dir))
    result = materialize_all(paths)
    assert result.success
    evaluations = {e.check_name: e.passed for e in result.get_asset_check_evaluations()}
    for name in ("lifecycle_one_stage_per_customer", "lifecycle_shares_sum_to_one", "lifecycle_transitions_add_up"):
        assert evaluations[name], name
    # as of 2025-03-01 (newest order): 杭州瑞达 first bought 2025-01-05 and 北京远景 2025-03-01 → new;
    # 成都青木 is a CRM prospect → potential
    current = query(paths, "SELECT c.company, l.stage, l.stage_zh FROM analytics.lifecycle l "
                           "JOIN core.customers c USING (customer_id) WHERE l.is_current ORDER BY c.company")
    assert current == [("北京远景物流有限公司", "new", "新客"), ("成都青木餐饮有限公司", "potential", "潜在"),
                       ("杭州瑞达科技有限公司", "new", "新客")]
    # known from CRM creation: 2024-08-22 (8 snapshots), 2024-09-01 (7), 2025-01-10 (3)
    assert query(paths, "SELECT count(*) FROM analytics.lifecycle") == [(18,)]
    assert query(paths, "SELECT sum(customers) FROM analytics.lifecycle_transitions "
                        "WHERE snapshot_date = DATE '2025-03-01'") == [(3,)]
