"""Monthly KPIs (analytics.kpis_monthly) on hand-built core tables, with answers worked out by hand,
their invariant checks, and one materialisation of the whole pipeline."""

from datetime import date, datetime
from pathlib import Path

import duckdb
import pytest
from dagster import build_asset_check_context

from assets.analytics.kpis.logic import (
    KPI_NAMES,
    KPIS,
    build_kpi_definitions,
    build_kpis_monthly,
)
from assets.analytics.kpis.settings import churn_days_from
from assets.orders.logic import build_orders
from checks.analytics.kpis import (
    consistency_outcomes,
    kpis_agree_with_core_tables,
    kpis_are_consistent,
    spot_check_outcomes,
)
from pipelines.definitions import build_resources
from tests.conftest import materialize_all, query
from tests.inbox_builders import four_source_inbox

CHURN_DAYS = 365
AS_OF = date(2025, 3, 15)
FEB = date(2025, 2, 1)

# --- a tiny core layer built by hand -------------------------------------------------------------------

_SCHEMAS = {
    "order_lines": "order_id VARCHAR, line_no INTEGER, customer_id VARCHAR, customer_code VARCHAR, order_ts TIMESTAMP, "
                   "order_date DATE, sku VARCHAR, product_name VARCHAR, category VARCHAR, quantity DOUBLE, "
                   "unit_price DECIMAL(18,2), discount DECIMAL(18,2), amount DECIMAL(18,2), channel VARCHAR, "
                   "region VARCHAR, status VARCHAR, _source_file VARCHAR, _row_number BIGINT",
    "tickets": "ticket_id VARCHAR, customer_id VARCHAR, opened_at TIMESTAMP, opened_date DATE, "
               "first_response_at TIMESTAMP, resolved_at TIMESTAMP, channel VARCHAR, category VARCHAR, "
               "is_complaint BOOLEAN, priority VARCHAR, status VARCHAR, csat INTEGER, first_response_hours DOUBLE, "
               "resolution_hours DOUBLE",
    "surveys": "response_id VARCHAR, customer_id VARCHAR, survey_ts TIMESTAMP, survey_date DATE, nps_score INTEGER, "
               "nps_group VARCHAR, comment VARCHAR",
    "email_events": "customer_id VARCHAR, email VARCHAR, campaign_id VARCHAR, event_type VARCHAR, event_ts TIMESTAMP, "
                    "event_date DATE",
    "opportunities": "opportunity_id VARCHAR, customer_id VARCHAR, account_id VARCHAR, opportunity_name VARCHAR, "
                     "stage VARCHAR, amount DECIMAL(18,2), created_date DATE, close_date DATE, status VARCHAR, "
                     "owner VARCHAR",
}


def _ts(text: str | None) -> datetime | None:
    if text is None:
        return None
    return datetime.fromisoformat(text if " " in text else text + " 00:00")


def _hours(start: datetime, end: datetime | None) -> float | None:
    return None if end is None else (end - start).total_seconds() / 3600


def make_core(conn: duckdb.DuckDBPyConnection, *, orders=(), tickets=(), surveys=(), emails=(),
              opportunities=()) -> None:
    """Create the core tables the KPIs read, with the pipeline's columns and types.

    orders: (order_id, customer_id, date, amount[, status]) — one line each, core.orders derived as the
    pipeline does; tickets: (ticket_id, customer_id, opened, first_response, resolved, complaint, csat);
    surveys: (response_id, customer_id, date, score); emails: (email, campaign_id, event_type, time);
    opportunities: (opportunity_id, customer_id, amount, created, close, status).
    """
    conn.execute("CREATE SCHEMA IF NOT EXISTS core")
    conn.execute("CREATE SCHEMA IF NOT EXISTS analytics")
    for table, schema in _SCHEMAS.items():
        conn.execute(f"CREATE OR REPLACE TABLE core.{table} ({schema})")
    for i, row in enumerate(orders):
        order_id, customer_id, when, amount, *status = row
        ts = _ts(when)
        conn.execute("INSERT INTO core.order_lines VALUES (?, 1, ?, ?, ?, ?, 'S1', NULL, 'Tea', 1, ?, 0, ?, 'JD', "
                     "'华东', ?, 'sales.csv', ?)",
                     [order_id, customer_id, customer_id, ts, ts.date(), amount, amount,
                      status[0] if status else "completed", i + 2])
    build_orders(conn)
    for ticket_id, customer_id, opened, responded, resolved, complaint, csat in tickets:
        o, f, r = _ts(opened), _ts(responded), _ts(resolved)
        conn.execute("INSERT INTO core.tickets VALUES (?, ?, ?, ?, ?, ?, 'Phone', ?, ?, 'Low', 'Open', ?, ?, ?)",
                     [ticket_id, customer_id, o, o.date(), f, r, "Complaint" if complaint else "Inquiry", complaint,
                      csat, _hours(o, f), _hours(o, r)])
    for response_id, customer_id, when, score in surveys:
        group = "promoter" if score >= 9 else "passive" if score >= 7 else "detractor"
        conn.execute("INSERT INTO core.surveys VALUES (?, ?, ?, ?, ?, ?, NULL)",
                     [response_id, customer_id, _ts(when), _ts(when).date(), score, group])
    for email, campaign_id, event_type, when in emails:
        conn.execute("INSERT INTO core.email_events VALUES (NULL, ?, ?, ?, ?, ?)",
                     [email, campaign_id, event_type, _ts(when), _ts(when).date()])
    for opportunity_id, customer_id, amount, created, close, status in opportunities:
        conn.execute("INSERT INTO core.opportunities VALUES (?, ?, NULL, NULL, NULL, ?, ?, ?, ?, NULL)",
                     [opportunity_id, customer_id, amount, _ts(created).date() if created else None,
                      _ts(close).date() if close else None, status])


# Three customers, February 2025 worked out by hand (churn_days 365, as of 2025-03-15):
#   A bought once on 2024-02-10 and churns on 2024-02-10 + 366 days = 2025-02-10;
#   B bought on 2025-01-15 and 2025-02-25 (a refunded order on 2025-02-10 does not count), and on 2025-03-10;
#   C is new: first order 2025-02-05; its order on 2025-03-20 is after the as-of date.
THREE_CUSTOMERS = dict(
    orders=[
        ("O1", "A", "2024-02-10 10:00", "100.00"),
        ("O2", "B", "2025-01-15 10:00", "300.00"),
        ("O3", "B", "2025-02-10 10:00", "50.00", "refunded"),
        ("O4", "B", "2025-02-25 10:00", "150.00"),
        ("O5", "C", "2025-02-05 10:00", "400.00"),
        ("O6", "B", "2025-03-10 10:00", "50.00"),
        ("O7", "C", "2025-03-20 10:00", "999.00"),
    ],
    tickets=[
        # opened, first response (+2 h), resolved (+24 h), complaint, CSAT 2
        ("T1", "A", "2025-02-01 09:00", "2025-02-01 11:00", "2025-02-02 09:00", True, 2),
        ("T2", "B", "2025-02-10 08:00", "2025-02-10 09:00", "2025-02-10 20:00", False, 5),  # 1 h, 12 h, CSAT 5
        ("T3", "C", "2025-02-20 10:00", "2025-02-20 14:00", None, False, None),  # 4 h, not resolved, no CSAT
    ],
    surveys=[("N1", "A", "2025-02-03", 10), ("N2", "B", "2025-02-12", 8), ("N3", "C", "2025-02-14", 3),
             ("N4", "B", "2025-02-27", 9)],
    emails=[
        # campaign K0 goes out in January; its open arrives in February but belongs to the January mailing
        ("a@x.cn", "K0", "sent", "2025-01-28 08:00"), ("a@x.cn", "K0", "delivered", "2025-01-28 08:01"),
        ("a@x.cn", "K0", "open", "2025-02-01 09:00"),
        ("a@x.cn", "K1", "sent", "2025-02-03 08:00"), ("a@x.cn", "K1", "delivered", "2025-02-03 08:01"),
        ("a@x.cn", "K1", "open", "2025-02-03 09:00"), ("a@x.cn", "K1", "open", "2025-02-04 09:00"),
        ("a@x.cn", "K1", "click", "2025-02-04 09:01"),
        ("b@x.cn", "K1", "sent", "2025-02-03 08:00"), ("b@x.cn", "K1", "delivered", "2025-02-03 08:01"),
        ("b@x.cn", "K1", "unsubscribe", "2025-02-05 10:00"),
        ("c@x.cn", "K1", "sent", "2025-02-03 08:00"), ("c@x.cn", "K1", "bounce", "2025-02-03 08:01"),
    ],
    opportunities=[
        ("P1", "A", "1000", "2024-12-01", "2025-02-10", "won"),
        ("P2", "B", "2000", "2025-01-05", "2025-02-20", "lost"),
        ("P3", "C", "4000", "2025-02-01", "2025-04-30", "open"),  # expected close date, still open
        ("P4", "C", "700", "2025-01-20", "2025-03-05", "won"),
    ],
)


@pytest.fixture
def conn():
    with duckdb.connect() as connection:
        yield connection


def _build(conn, as_of=AS_OF, churn_days=CHURN_DAYS, **core):
    make_core(conn, **(core or THREE_CUSTOMERS))
    build_kpis_monthly(conn, as_of, churn_days)


def _month(conn, month: date) -> dict[str, tuple]:
    rows = conn.execute("SELECT kpi, value, numerator, denominator FROM analytics.kpis_monthly WHERE month = ?",
                        [month]).fetchall()
    return {kpi: (value, numerator, denominator) for kpi, value, numerator, denominator in rows}


def _values(conn, kpi: str) -> dict[date, float | None]:
    return dict(conn.execute("SELECT month, value FROM analytics.kpis_monthly WHERE kpi = ? ORDER BY month",
                             [kpi]).fetchall())


# --- the three-customer month --------------------------------------------------------------------------


def test_every_kpi_of_a_three_customer_month_by_hand(conn):
    _build(conn)
    feb = _month(conn, FEB)
    assert set(feb) == set(KPI_NAMES)
    # customers at the end of February: an order in 2024-02-28 .. 2025-02-28 → B and C (A's 2024-02-10 is too old)
    assert feb["customers"][0] == 2
    assert feb["new_customers"][0] == 1          # C
    assert feb["returning_customers"][0] == 0
    assert feb["active_customers"][0] == 2       # B and C (B's refunded order alone would not count)
    assert feb["churned_customers"][0] == 1      # A, churn day 2025-02-10
    assert feb["retention_rate"] == (1.0, 1, 1)  # January's only active customer B bought again
    assert feb["repurchase_rate"] == (0.5, 1, 2)  # B has an earlier order, C does not
    assert feb["churn_rate"] == (0.5, 1, 2)      # customers at the end of January: A and B
    assert feb["orders"][0] == 2                 # O4 and O5; O3 was refunded
    assert feb["revenue"][0] == 550.0
    assert feb["average_order_value"] == (275.0, 550, 2)
    assert feb["csat"] == (3.5, 7, 2)            # (2 + 5) / 2; T3 has no rating
    assert feb["nps"] == (25.0, 1, 4)            # 100 × (2 promoters − 1 detractor) / 4 answers
    assert feb["complaint_rate"] == (pytest.approx(1 / 3), 1, 3)
    assert feb["median_first_response_hours"] == (2.0, None, 3)   # median of 2, 1, 4
    assert feb["median_resolution_hours"] == (18.0, None, 2)      # mean of the middle two of 24, 12
    assert feb["email_open_rate"] == (0.5, 1, 2)  # K1: a and b delivered, c bounced; a opened twice = once
    assert feb["email_click_rate"] == (0.5, 1, 2)
    assert feb["email_unsubscribe_rate"] == (0.5, 1, 2)
    assert feb["opportunity_win_rate"] == (0.5, 1, 2)  # P1 won, P2 lost in February
    assert feb["pipeline"] == (4700.0, None, 2)  # P3 4000 + P4 700 open at 2025-02-28

    jan = _month(conn, date(2025, 1, 1))
    assert jan["email_open_rate"] == (1.0, 1, 1)  # K0's open on 1 February counts for the January mailing
    assert jan["pipeline"] == (3700.0, None, 3)   # P1 + P2 + P4
    assert jan["customers"][0] == 2 and jan["churned_customers"][0] == 0


def test_changes_against_the_previous_month_and_the_same_month_last_year(conn):
    _build(conn)
    rows = conn.execute(
        "SELECT kpi, value, previous_month_value, change_vs_previous_month, relative_change_vs_previous_month, "
        "same_month_last_year_value, change_vs_last_year, relative_change_vs_last_year "
        "FROM analytics.kpis_monthly WHERE month = ?", [FEB]).fetchall()
    feb = {r[0]: r[1:] for r in rows}
    # revenue: January 300, February 2024 100 (A's order)
    assert feb["revenue"] == (550.0, 300.0, 250.0, pytest.approx(250 / 300), 100.0, 450.0, 4.5)
    # customers: 2 at the end of January, 1 (A) at the end of February 2024
    assert feb["customers"] == (2.0, 2.0, 0.0, 0.0, 1.0, 1.0, 1.0)
    # ratios and scores change in points, never relatively; February 2024 had no service data (NULL)
    assert feb["churn_rate"] == (0.5, 0.0, 0.5, None, None, None, None)
    assert feb["csat"] == (3.5, None, None, None, None, None, None)
    # a zero earlier value gives no relative change
    assert feb["churned_customers"][:4] == (1.0, 0.0, 1.0, None)
    months = [r[0] for r in conn.execute("SELECT DISTINCT month FROM analytics.kpis_monthly ORDER BY 1").fetchall()]
    assert months[0] == date(2024, 2, 1) and months[-1] == date(2025, 3, 1) and len(months) == 14


def test_the_as_of_month_is_partial_and_nothing_after_the_as_of_date_counts(conn):
    _build(conn)
    flags = conn.execute("SELECT DISTINCT month, period_end, is_partial_month, as_of FROM analytics.kpis_monthly "
                         "WHERE month >= '2025-01-01' ORDER BY month").fetchall()
    assert flags == [(date(2025, 1, 1), date(2025, 1, 31), False, AS_OF),
                     (date(2025, 2, 1), date(2025, 2, 28), False, AS_OF),
                     (date(2025, 3, 1), AS_OF, True, AS_OF)]
    mar = _month(conn, date(2025, 3, 1))
    assert mar["revenue"][0] == 50.0 and mar["orders"][0] == 1  # C's order of 2025-03-20 is after the as-of date
    assert mar["opportunity_win_rate"] == (1.0, 1, 1)           # P4 won on 2025-03-05
    assert mar["pipeline"] == (4000.0, None, 1)
    assert mar["median_resolution_hours"] == (None, None, 0)    # no ticket opened in March: a median of nothing

    # as of the last day of a month, that month is complete
    build_kpis_monthly(conn, date(2025, 2, 28), CHURN_DAYS)
    assert conn.execute("SELECT max(month), bool_or(is_partial_month) FROM analytics.kpis_monthly").fetchone() == (
        FEB, False)


def test_empty_sources_give_null_not_zero(conn):
    _build(conn, orders=THREE_CUSTOMERS["orders"])  # only a sales export
    by_source = {k.name: k.source for k in KPIS}
    rows = conn.execute("SELECT kpi, count(value) FROM analytics.kpis_monthly GROUP BY kpi").fetchall()
    for kpi, non_null in rows:
        if by_source[kpi] == "sales":
            assert non_null > 0, kpi
        else:
            assert non_null == 0, kpi

    # with service data, months before the first ticket are NULL too, not a CSAT or complaint rate of 0
    _build(conn)
    assert _values(conn, "csat")[date(2025, 1, 1)] is None
    assert _values(conn, "complaint_rate")[date(2025, 1, 1)] is None
    assert _values(conn, "pipeline")[date(2024, 11, 1)] is None and _values(conn, "pipeline")[date(2024, 12, 1)] == 1000
    # inside a source's months an empty month is a count of 0 but a ratio of NULL
    assert _values(conn, "revenue")[date(2024, 6, 1)] == 0 and _values(conn, "orders")[date(2024, 6, 1)] == 0
    assert _values(conn, "average_order_value")[date(2024, 6, 1)] is None
    assert _month(conn, date(2025, 3, 1))["complaint_rate"] == (None, 0, 0)

    # nothing at all: an empty table, no error
    make_core(conn)
    build_kpis_monthly(conn, AS_OF, CHURN_DAYS)
    assert conn.execute("SELECT count(*) FROM analytics.kpis_monthly").fetchone() == (0,)


# --- edge cases of single definitions ----------------------------------------------------------------------


def test_churn_and_return_follow_the_lifecycle_threshold(conn):
    # D: gap of 366 days → on the day before the next order the recency is 365, not more: never churned.
    # E: gap of 367 days → churned on 2024-01-02 + 366 = 2025-01-02, back on 2025-01-04.
    # F: last order 2024-03-31; on 2025-03-31 the recency is 365 (still a customer), on 2025-04-01 churned.
    orders = [("D1", "D", "2024-01-01", "10"), ("D2", "D", "2025-01-01", "10"),
              ("E1", "E", "2024-01-02", "10"), ("E2", "E", "2025-01-04", "10"),
              ("F1", "F", "2024-03-31", "10")]
    _build(conn, as_of=date(2025, 4, 30), orders=orders)
    jan, mar, apr = (_month(conn, date(2025, m, 1)) for m in (1, 3, 4))
    assert jan["churned_customers"][0] == 1 and jan["returning_customers"][0] == 1  # E both ways in one month
    assert jan["customers"][0] == 3 and jan["new_customers"][0] == 0
    assert mar["customers"][0] == 3 and mar["churned_customers"][0] == 0
    assert apr["customers"][0] == 2 and apr["churned_customers"][0] == 1 and apr["churn_rate"] == (1 / 3, 1, 3)
    assert all(o.success for o in consistency_outcomes(conn, date(2025, 4, 30)))


def test_a_new_customer_ordering_twice_in_the_month_is_a_repeat_buyer(conn):
    orders = [("O1", "A", "2025-02-03", "10"), ("O2", "A", "2025-02-04", "10"), ("O3", "B", "2025-02-05", "10")]
    _build(conn, as_of=date(2025, 2, 28), orders=orders)
    assert _month(conn, FEB)["repurchase_rate"] == (0.5, 1, 2)


def test_without_delivered_events_delivered_means_sent_and_not_bounced(conn):
    emails = [("a@x.cn", "K", "sent", "2025-02-01 08:00"), ("b@x.cn", "K", "sent", "2025-02-01 08:00"),
              ("c@x.cn", "K", "sent", "2025-02-01 08:00"), ("c@x.cn", "K", "bounce", "2025-02-01 08:01"),
              ("a@x.cn", "K", "open", "2025-02-01 10:00")]
    _build(conn, as_of=date(2025, 2, 28), emails=emails)
    assert _month(conn, FEB)["email_open_rate"] == (0.5, 1, 2)


def test_pipeline_edge_cases(conn):
    opportunities = [
        ("Q1", "A", "100", "2025-01-10", None, "won"),           # won, but when? left out everywhere
        ("Q2", "A", "200", "2025-02-10", "2025-01-20", "lost"),  # closed before created: never open, lost in Jan
        ("Q3", "A", None, "2025-01-05", None, "open"),           # open without an amount: counted, adds 0
        ("Q4", "A", "300", "2025-01-06", "2025-01-31", "won"),   # won on the month end: closed by then
    ]
    _build(conn, as_of=date(2025, 2, 28), opportunities=opportunities)
    jan, feb = _month(conn, date(2025, 1, 1)), _month(conn, FEB)
    assert jan["opportunity_win_rate"] == (0.5, 1, 2) and feb["opportunity_win_rate"] == (None, 0, 0)
    assert jan["pipeline"] == (0.0, None, 1) and feb["pipeline"] == (0.0, None, 1)


def test_settings_churn_days_is_validated():
    assert churn_days_from({"lifecycle": {"churn_days": 365}}) == 365
    for bad in ({}, {"lifecycle": {"churn_days": 10}}, {"lifecycle": {"churn_days": "365"}}):
        with pytest.raises(ValueError, match="churn_days"):
            churn_days_from(bad)


def test_definitions_cover_every_kpi_with_the_settings_filled_in(conn):
    make_core(conn)
    build_kpi_definitions(conn, AS_OF, 180)
    rows = conn.execute("SELECT position, kpi, unit, source, definition, as_of FROM analytics.kpi_definitions "
                        "ORDER BY position").fetchall()
    assert [r[1] for r in rows] == list(KPI_NAMES)
    assert all(r[4] and "{" not in r[4] and r[5] == AS_OF for r in rows)
    assert "churn_days = 180" in rows[0][4]


def test_rebuilding_gives_identical_rows_whatever_the_input_order(conn):
    _build(conn)
    first = conn.execute("SELECT * FROM analytics.kpis_monthly").fetchall()
    shuffled = {k: list(reversed(v)) for k, v in THREE_CUSTOMERS.items()}
    _build(conn, **shuffled)
    assert conn.execute("SELECT * FROM analytics.kpis_monthly").fetchall() == first
    assert conn.execute("SELECT count(*) FROM duckdb_tables() WHERE temporary").fetchone() == (0,)


# --- the invariant checks ----------------------------------------------------------------------------


def test_the_invariants_hold_and_catch_a_tampered_table(conn):
    _build(conn)
    assert all(o.success for o in spot_check_outcomes(conn, AS_OF, CHURN_DAYS))
    assert all(o.success for o in consistency_outcomes(conn, AS_OF))

    # revenue of the latest complete month changed by one yuan: the spot check names month and values
    conn.execute("UPDATE analytics.kpis_monthly SET value = value + 1 WHERE kpi = 'revenue' AND month = ?", [FEB])
    failed = {o.column: o for o in spot_check_outcomes(conn, AS_OF, CHURN_DAYS) if not o.success}
    assert set(failed) == {"revenue"}
    assert failed["revenue"].samples == ("2025-02: table 551.0 ≠ recomputed 550.00",)
    # ... and February's change and March's previous-month value no longer match it
    broken = {o.expectation: o for o in consistency_outcomes(conn, AS_OF) if not o.success}
    assert set(broken) == {"expect_comparisons_to_match_earlier_rows"}
    assert broken["expect_comparisons_to_match_earlier_rows"].samples == ("2025-02 revenue", "2025-03 revenue")

    # a customer count that does not match core.order_lines nor the flows
    _build(conn)
    conn.execute("UPDATE analytics.kpis_monthly SET value = 3, previous_month_value = 3 "
                 "WHERE kpi = 'customers' AND month = '2025-03-01'")
    assert [o.column for o in spot_check_outcomes(conn, AS_OF, CHURN_DAYS) if not o.success] == ["customers"]
    assert [o.expectation for o in consistency_outcomes(conn, AS_OF) if not o.success] == [
        "expect_comparisons_to_match_earlier_rows", "expect_customer_flows_to_balance"]

    # a missing row and a ratio that is not numerator ÷ denominator
    _build(conn)
    conn.execute("DELETE FROM analytics.kpis_monthly WHERE kpi = 'nps' AND month = '2024-05-01'")
    conn.execute("UPDATE analytics.kpis_monthly SET value = 0.9 WHERE kpi = 'churn_rate' AND month = ?", [FEB])
    broken = {o.expectation: o for o in consistency_outcomes(conn, AS_OF) if not o.success}
    assert broken["expect_one_row_per_month_and_kpi"].samples == ("2024-05 nps: 0 rows",)
    assert broken["expect_value_to_equal_numerator_over_denominator"].samples == ("2025-02 churn_rate",)


def test_the_spot_check_expects_nulls_without_sales(conn):
    _build(conn, tickets=THREE_CUSTOMERS["tickets"])
    assert all(o.success for o in spot_check_outcomes(conn, AS_OF, CHURN_DAYS))
    conn.execute("UPDATE analytics.kpis_monthly SET value = 0 WHERE kpi = 'revenue'")
    assert not next(o for o in spot_check_outcomes(conn, AS_OF, CHURN_DAYS) if o.column == "revenue").success


# --- the assets in the pipeline ------------------------------------------------------------------------------


def test_materialised_with_the_pipeline_and_checked(paths):
    four_source_inbox(Path(paths.inbox_dir))
    result = materialize_all(paths)
    assert result.success
    evaluations = {e.check_name: e for e in result.get_asset_check_evaluations()
                   if e.asset_key.path == ["analytics", "kpis_monthly"]}
    assert set(evaluations) == {"kpis_agree_with_core_tables", "kpis_are_consistent"}
    assert all(e.passed for e in evaluations.values())

    revenue = query(paths, "SELECT month, value, is_partial_month FROM analytics.kpis_monthly "
                           "WHERE kpi = 'revenue' ORDER BY month")
    # as of the newest order date 2025-03-01; O2 (February) was refunded
    assert revenue == [(date(2025, 1, 1), 130.0, False), (date(2025, 2, 1), 0.0, False),
                       (date(2025, 3, 1), 60.0, True)]
    assert query(paths, "SELECT value FROM analytics.kpis_monthly WHERE kpi = 'complaint_rate' "
                        "AND month = '2025-02-01'") == [(1.0,)]
    assert query(paths, "SELECT count(*) FROM analytics.kpi_definitions") == [(len(KPIS),)]
    columns = [r[0] for r in query(paths, "DESCRIBE analytics.kpis_monthly")]
    assert not any("email" in c or "phone" in c for c in columns)

    # a table edited behind the pipeline's back fails the blocking check when run on its own
    with duckdb.connect(paths.warehouse_path) as warehouse:
        warehouse.execute("UPDATE analytics.kpis_monthly SET value = 1 WHERE kpi = 'customers'")
    resources = build_resources(paths, held_for_the_run=False)  # a check invoked directly, outside a run
    context = build_asset_check_context(resources=resources)
    assert not kpis_agree_with_core_tables(context).passed
    assert not kpis_are_consistent(build_asset_check_context(resources=resources)).passed
