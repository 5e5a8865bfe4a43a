"""analytics.customer_360 on hand-built core tables, with every expected number worked out by hand,
plus the contact-masking helpers."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

import duckdb
import pytest

from assets.analytics.customer_360.asset import build_customer_360
from assets.analytics.customer_360.logic import interaction_columns
from assets.analytics.customer_360.settings import activity_windows
from assets.common.masking import (
    mask_email,
    mask_phone,
    register_masking_macros,
)
from checks.analytics.key_accounts import raw_contact_outcomes
from tests.conftest import rows_as_dicts

AS_OF = date(2025, 6, 30)

# --- a tiny core layer ---------------------------------------------------------------------------

SCHEMAS: dict[str, list[tuple[str, str]]] = {
    "customers": [("customer_id", "VARCHAR"), ("crm_account_id", "VARCHAR"), ("sales_customer_code", "VARCHAR"),
                  ("contact_name", "VARCHAR"), ("company", "VARCHAR"), ("industry", "VARCHAR"),
                  ("company_size", "VARCHAR"), ("region", "VARCHAR"), ("owner", "VARCHAR"),
                  ("phone_e164", "VARCHAR"), ("email", "VARCHAR"), ("created_date", "DATE"),
                  ("lead_source", "VARCHAR")],
    "orders": [("order_id", "VARCHAR"), ("customer_id", "VARCHAR"), ("order_ts", "TIMESTAMP"),
               ("order_date", "DATE"), ("channel", "VARCHAR"), ("region", "VARCHAR"), ("status", "VARCHAR"),
               ("line_count", "BIGINT"), ("quantity", "DOUBLE"), ("amount", "DECIMAL(18,2)"),
               ("is_revenue", "BOOLEAN")],
    "order_lines": [("order_id", "VARCHAR"), ("line_no", "INTEGER"), ("customer_id", "VARCHAR"),
                    ("order_date", "DATE"), ("sku", "VARCHAR"), ("product_name", "VARCHAR"),
                    ("category", "VARCHAR"), ("quantity", "DOUBLE"), ("unit_price", "DECIMAL(18,2)"),
                    ("discount", "DECIMAL(18,2)"), ("amount", "DECIMAL(18,2)"), ("channel", "VARCHAR"),
                    ("region", "VARCHAR"), ("status", "VARCHAR")],
    "interactions": [("interaction_id", "VARCHAR"), ("customer_id", "VARCHAR"), ("interaction_type", "VARCHAR"),
                     ("interaction_ts", "TIMESTAMP"), ("interaction_date", "DATE"), ("owner", "VARCHAR")],
    "opportunities": [("opportunity_id", "VARCHAR"), ("customer_id", "VARCHAR"), ("stage", "VARCHAR"),
                      ("amount", "DECIMAL(18,2)"), ("created_date", "DATE"), ("close_date", "DATE"),
                      ("status", "VARCHAR"), ("owner", "VARCHAR")],
    "tickets": [("ticket_id", "VARCHAR"), ("customer_id", "VARCHAR"), ("opened_at", "TIMESTAMP"),
                ("opened_date", "DATE"), ("first_response_at", "TIMESTAMP"), ("resolved_at", "TIMESTAMP"),
                ("channel", "VARCHAR"), ("category", "VARCHAR"), ("is_complaint", "BOOLEAN"),
                ("priority", "VARCHAR"), ("status", "VARCHAR"), ("csat", "INTEGER"),
                ("first_response_hours", "DOUBLE"), ("resolution_hours", "DOUBLE")],
    "surveys": [("response_id", "VARCHAR"), ("customer_id", "VARCHAR"), ("survey_ts", "TIMESTAMP"),
                ("survey_date", "DATE"), ("nps_score", "INTEGER"), ("nps_group", "VARCHAR"), ("comment", "VARCHAR")],
    "email_events": [("customer_id", "VARCHAR"), ("email", "VARCHAR"), ("campaign_id", "VARCHAR"),
                     ("event_type", "VARCHAR"), ("event_ts", "TIMESTAMP"), ("event_date", "DATE")],
}


def d(text: str) -> date:
    return date.fromisoformat(text)


def customer(cid, company=None, industry=None, size=None, phone=None, email=None, contact=None, owner="王芳",
             region="华东"):
    return {"customer_id": cid, "company": company or f"{cid} 有限公司", "industry": industry, "company_size": size,
            "phone_e164": phone, "email": email, "contact_name": contact, "owner": owner, "region": region}


def order(oid, cid, day, amount, status="completed"):
    return {"order_id": oid, "customer_id": cid, "order_ts": datetime.fromisoformat(day + " 10:00"),
            "order_date": d(day), "status": status, "amount": Decimal(str(amount)), "is_revenue": status == "completed",
            "line_count": 1, "quantity": 1.0}


def line(oid, no, cid, category, amount):
    return {"order_id": oid, "line_no": no, "customer_id": cid, "category": category,
            "amount": Decimal(str(amount))}


def interaction(iid, cid, kind, day):
    return {"interaction_id": iid, "customer_id": cid, "interaction_type": kind,
            "interaction_ts": datetime.fromisoformat(day + " 09:00"), "interaction_date": d(day)}


def ticket(tid, cid, day, complaint=False, csat=None):
    return {"ticket_id": tid, "customer_id": cid, "opened_at": datetime.fromisoformat(day + " 09:00"),
            "opened_date": d(day), "is_complaint": complaint, "csat": csat,
            "category": "Complaint" if complaint else "Inquiry"}


def survey(rid, cid, day, score):
    return {"response_id": rid, "customer_id": cid, "survey_ts": datetime.fromisoformat(day + " 12:00"),
            "survey_date": d(day), "nps_score": score}


def event(cid, email, campaign, kind, day, hour=8):
    ts = datetime.fromisoformat(day) + timedelta(hours=hour)
    return {"customer_id": cid, "email": email, "campaign_id": campaign, "event_type": kind, "event_ts": ts,
            "event_date": ts.date()}


def opportunity(oid, cid, amount, status, created=None, close=None):
    return {"opportunity_id": oid, "customer_id": cid, "amount": Decimal(str(amount)), "status": status,
            "created_date": d(created) if created else None, "close_date": d(close) if close else None}


def make_core(conn: duckdb.DuckDBPyConnection, **tables: list[dict]) -> duckdb.DuckDBPyConnection:
    """Create every core table (empty unless rows are given) plus the analytics schema."""
    conn.execute("CREATE SCHEMA IF NOT EXISTS core")
    conn.execute("CREATE SCHEMA IF NOT EXISTS analytics")
    unknown = set(tables) - set(SCHEMAS)
    assert not unknown, unknown
    for name, columns in SCHEMAS.items():
        conn.execute(f"CREATE OR REPLACE TABLE core.{name} ("
                     + ", ".join(f"{c} {t}" for c, t in columns) + ")")
        rows = tables.get(name, [])
        if rows:
            names = [c for c, _ in columns]
            conn.executemany(f"INSERT INTO core.{name} VALUES ({', '.join('?' for _ in names)})",
                             [[row.get(c) for c in names] for row in rows])
    return conn


def profile(conn, as_of=AS_OF, windows=(30, 90, 365)) -> dict[str, dict]:
    build_customer_360(conn, as_of, windows)
    rows = rows_as_dicts(conn, "SELECT * FROM analytics.customer_360 ORDER BY customer_id")
    return {r["customer_id"]: r for r in rows}


# --- the hand-built world ------------------------------------------------------------------------

def full_world(conn):
    return make_core(
        conn,
        customers=[
            customer("CA", "Alpha 有限公司", "制造业", "50-199", "+8613800138000", "zhang.wei@example.com", "张伟"),
            customer("CB", "Beta 有限公司", "物流", "200-999", "+861012345678", "b@x.cn", "李娜"),
            customer("CP", "Prospect 有限公司", "餐饮", "1-49", None, None, "赵磊"),
        ],
        orders=[
            order("O1", "CA", "2025-01-10", 100),
            order("O2", "CA", "2025-03-10", 300),
            order("O3", "CA", "2025-03-10", 50),  # same day as O2: one purchase day
            order("O4", "CA", "2025-06-01", 999, "refunded"),
            order("O5", "CA", "2025-07-05", 500),  # after the as-of date
            order("O6", "CB", "2025-06-30", 80),
        ],
        order_lines=[
            line("O1", 1, "CA", "Tea", 60), line("O1", 2, "CA", "Coffee", 40),
            line("O2", 1, "CA", "Coffee", 200), line("O2", 2, "CA", "Cups", 100),
            line("O3", 1, "CA", "Snacks", 50),
            line("O4", 1, "CA", "Gifts", 999), line("O5", 1, "CA", "Gifts", 500),
            line("O6", 1, "CB", "Tea", 40), line("O6", 2, "CB", "Coffee", 40), line("O6", 3, "CB", None, 0),
        ],
        interactions=[
            interaction("I1", "CA", "call", "2025-06-30"),
            interaction("I2", "CA", "call", "2025-06-01"),
            interaction("I3", "CA", "visit", "2025-05-31"),  # 30 days before: outside the 30-day window
            interaction("I4", "CA", "wechat", "2025-01-01"),
            interaction("I5", "CA", "meeting", "2024-06-30"),  # exactly 365 days before: outside
            interaction("I6", "CA", "call", "2025-07-01"),  # after the as-of date
            interaction("I7", "CA", "email", "2025-04-01"),  # 90 days before: outside the 90-day window
            interaction("I8", "CA", "fax", "2025-06-15"),  # unknown type: only in interactions_Nd
            interaction("I9", None, "call", "2025-06-15"),  # account not resolved
        ],
        tickets=[
            ticket("T1", "CA", "2025-02-01", complaint=True, csat=2),
            ticket("T2", "CA", "2025-05-01", csat=5),
            ticket("T3", "CA", "2025-05-02"),
            ticket("T4", "CA", "2025-07-02", complaint=True, csat=1),  # after the as-of date
            ticket("T5", "CB", "2025-03-01"),
        ],
        surveys=[
            survey("R1", "CA", "2025-03-01", 9),
            survey("R2", "CA", "2025-06-01", 6),
            survey("R3", "CA", "2025-07-10", 10),  # after the as-of date
        ],
        email_events=[
            # CA, first address: K1 delivered, opened, clicked
            event("CA", "zhang.wei@example.com", "K1", "sent", "2025-06-01"),
            event("CA", "zhang.wei@example.com", "K1", "delivered", "2025-06-01", 9),
            event("CA", "zhang.wei@example.com", "K1", "open", "2025-06-02"),
            event("CA", "zhang.wei@example.com", "K1", "click", "2025-06-02", 9),
            # K2 delivered, opened only after the as-of date
            event("CA", "zhang.wei@example.com", "K2", "sent", "2025-05-01"),
            event("CA", "zhang.wei@example.com", "K2", "delivered", "2025-05-01", 9),
            event("CA", "zhang.wei@example.com", "K2", "open", "2025-07-02"),
            # K3 bounced: not delivered
            event("CA", "zhang.wei@example.com", "K3", "sent", "2025-05-15"),
            event("CA", "zhang.wei@example.com", "K3", "bounce", "2025-05-15", 9),
            # K4 sent before the 90-day window
            event("CA", "zhang.wei@example.com", "K4", "sent", "2025-03-01"),
            event("CA", "zhang.wei@example.com", "K4", "delivered", "2025-03-01", 9),
            event("CA", "zhang.wei@example.com", "K4", "open", "2025-03-02"),
            # K5 only 'sent' (no delivery report) and no bounce: delivered; then unsubscribed
            event("CA", "zhang.wei@example.com", "K5", "sent", "2025-06-10"),
            event("CA", "zhang.wei@example.com", "K5", "unsubscribe", "2025-06-20"),
            # CA, second address: K1 delivered and opened
            event("CA", "alt@example.com", "K1", "sent", "2025-06-01"),
            event("CA", "alt@example.com", "K1", "delivered", "2025-06-01", 9),
            event("CA", "alt@example.com", "K1", "open", "2025-06-05"),
            # CB: delivered before the window; unsubscribes only after the as-of date
            event("CB", "b@x.cn", "K4", "sent", "2025-03-01"),
            event("CB", "b@x.cn", "K4", "delivered", "2025-03-01", 9),
            event("CB", "b@x.cn", "K9", "unsubscribe", "2025-07-01"),
            event(None, "stranger@example.com", "K1", "sent", "2025-06-01"),
        ],
        opportunities=[
            opportunity("P1", "CA", 1000, "open", "2025-05-01"),
            opportunity("P2", "CA", 500, "won", "2025-04-01", "2025-07-15"),  # decided after the as-of date
            opportunity("P3", "CA", 700, "lost", "2025-03-01", "2025-06-01"),
            opportunity("P4", "CA", 900, "open", "2025-07-01"),  # created after the as-of date
            opportunity("P5", "CB", 300, "won", "2025-03-01", "2025-05-01"),
            opportunity("P6", "CP", 200, "open"),  # no created date: counted
        ],
    )


@pytest.fixture
def world():
    with duckdb.connect() as conn:
        yield full_world(conn)


def test_identity_and_masked_contacts(world):
    rows = profile(world)
    assert list(rows) == ["CA", "CB", "CP"]  # prospects included, ordered by customer id
    a, b, p = rows["CA"], rows["CB"], rows["CP"]
    assert (a["company"], a["contact_name"], a["industry"], a["company_size"], a["region"], a["owner"]) == (
        "Alpha 有限公司", "张伟", "制造业", "50-199", "华东", "王芳")
    assert (a["phone_masked"], a["email_masked"]) == ("138****8000", "z***@example.com")
    assert (b["phone_masked"], b["email_masked"]) == ("****5678", "b***@x.cn")
    assert (p["phone_masked"], p["email_masked"]) == (None, None)
    assert "phone_e164" not in a and "email" not in a


def test_purchase_facts(world):
    rows = profile(world)
    a, b, p = rows["CA"], rows["CB"], rows["CP"]
    # O1 + O2 + O3 (O4 refunded, O5 after the as-of date)
    assert (a["orders"], a["revenue"], a["average_order_value"]) == (3, Decimal("450.00"), Decimal("150.00"))
    assert (a["first_order_date"], a["last_order_date"]) == (d("2025-01-10"), d("2025-03-10"))
    assert (a["recency_days"], a["tenure_days"]) == (112, 171)
    # two purchase days 59 days apart
    assert a["mean_days_between_orders"] == 59.0
    # Coffee 240, Cups 100, Tea 60, Snacks 50; the refunded and the later Gifts lines do not count
    assert a["favourite_categories"] == "Coffee, Cups, Tea"
    # a tie (Tea 40, Coffee 40) is broken by name; the line without a category is ignored
    assert b["favourite_categories"] == "Coffee, Tea"
    assert b["mean_days_between_orders"] is None and b["recency_days"] == 0
    assert (p["orders"], p["revenue"], p["first_order_date"], p["favourite_categories"]) == (
        0, Decimal("0.00"), None, None)
    assert p["mean_days_between_orders"] is None and p["average_order_value"] is None


def test_interaction_windows(world):
    a = profile(world)["CA"]
    assert {k: a[k] for k in interaction_columns([30])} == {
        "calls_30d": 2, "visits_30d": 0, "meetings_30d": 0, "wechats_30d": 0, "crm_emails_30d": 0,
        "interactions_30d": 3,
    }
    assert {k: a[k] for k in interaction_columns([90])} == {
        "calls_90d": 2, "visits_90d": 1, "meetings_90d": 0, "wechats_90d": 0, "crm_emails_90d": 0,
        "interactions_90d": 4,
    }
    assert {k: a[k] for k in interaction_columns([365])} == {
        "calls_365d": 2, "visits_365d": 1, "meetings_365d": 0, "wechats_365d": 1, "crm_emails_365d": 1,
        "interactions_365d": 6,
    }
    assert a["last_contact_date"] == d("2025-06-30")
    # the CRM delivered activities, just none for these customers: 0, and no last contact
    for cid in ("CB", "CP"):
        row = profile(world)[cid]
        assert all(row[c] == 0 for c in interaction_columns([30, 90, 365]))
        assert row["last_contact_date"] is None


def test_configured_windows_name_the_columns(world):
    row = profile(world, windows=(7, 400))["CA"]
    assert "calls_30d" not in row
    assert (row["calls_7d"], row["interactions_7d"]) == (1, 1)  # 06-24 … 06-30: only I1
    assert (row["meetings_400d"], row["interactions_400d"]) == (1, 7)


def test_service_facts(world):
    rows = profile(world)
    a, b, p = rows["CA"], rows["CB"], rows["CP"]
    assert (a["tickets"], a["complaints"], a["mean_csat"], a["last_nps"]) == (3, 1, 3.5, 6)
    assert (b["tickets"], b["complaints"], b["mean_csat"], b["last_nps"]) == (1, 0, None, None)
    assert (p["tickets"], p["complaints"], p["mean_csat"], p["last_nps"]) == (0, 0, None, None)


def test_email_engagement(world):
    rows = profile(world)
    a, b, p = rows["CA"], rows["CB"], rows["CP"]
    # delivered in the window: K1 (both addresses), K2 and K5; opened K1 twice; clicked K1 once
    assert a["marketing_emails_delivered_90d"] == 4
    assert a["email_open_rate_90d"] == 0.5
    assert a["email_click_rate_90d"] == 0.25
    assert a["unsubscribed"] is True
    # nothing delivered in the window: rates empty (not 0); the later unsubscribe does not count
    assert (b["marketing_emails_delivered_90d"], b["email_open_rate_90d"], b["email_click_rate_90d"],
            b["unsubscribed"]) == (0, None, None, False)
    assert (p["marketing_emails_delivered_90d"], p["email_open_rate_90d"], p["unsubscribed"]) == (0, None, False)


def test_open_opportunities(world):
    rows = profile(world)
    # P1 open + P2 won only after the as-of date; P3 lost before it, P4 created after it
    assert rows["CA"]["open_opportunity_value"] == Decimal("1500.00")
    assert rows["CB"]["open_opportunity_value"] == Decimal("0.00")
    assert rows["CP"]["open_opportunity_value"] == Decimal("200.00")


def test_an_earlier_as_of_date_ignores_later_records(world):
    a = profile(world, as_of=d("2025-03-01"))["CA"]
    assert (a["orders"], a["revenue"], a["last_order_date"], a["recency_days"]) == (
        1, Decimal("100.00"), d("2025-01-10"), 50)
    assert a["favourite_categories"] == "Tea, Coffee"
    assert (a["tickets"], a["complaints"], a["last_nps"]) == (1, 1, 9)
    assert a["last_contact_date"] == d("2025-01-01")
    assert a["as_of"] == d("2025-03-01")


def test_missing_sources_give_empty_values_not_zero():
    with duckdb.connect() as conn:
        make_core(conn, customers=[customer("C1"), customer("C2")],
                  orders=[order("O1", "C1", "2025-06-01", 10)])
        rows = profile(conn)
    c1 = rows["C1"]
    assert (c1["orders"], c1["revenue"], c1["favourite_categories"]) == (1, Decimal("10.00"), None)
    for row in rows.values():
        for column in [*interaction_columns([30, 90, 365]), "last_contact_date", "tickets", "complaints",
                       "mean_csat", "last_nps", "marketing_emails_delivered_90d", "email_open_rate_90d",
                       "email_click_rate_90d", "unsubscribed", "open_opportunity_value"]:
            assert row[column] is None, column


def test_a_source_with_records_only_after_the_as_of_date_counts_as_missing():
    with duckdb.connect() as conn:
        make_core(conn, customers=[customer("C1")], orders=[order("O1", "C1", "2025-06-01", 10)],
                  tickets=[ticket("T1", "C1", "2025-07-01", complaint=True)])
        row = profile(conn)["C1"]
    assert (row["tickets"], row["complaints"]) == (None, None)


def test_no_customers_at_all_gives_an_empty_table():
    with duckdb.connect() as conn:
        make_core(conn)
        assert profile(conn) == {}


def test_rebuilding_is_deterministic(world):
    build_customer_360(world, AS_OF)
    first = world.execute("SELECT * FROM analytics.customer_360").fetchall()
    build_customer_360(world, AS_OF)
    assert world.execute("SELECT * FROM analytics.customer_360").fetchall() == first


def test_no_raw_phone_or_email_anywhere(world):
    build_customer_360(world, AS_OF)
    outcomes = raw_contact_outcomes(world, "analytics.customer_360")
    assert outcomes and all(o.success for o in outcomes)
    text = " ".join(str(v) for row in world.execute("SELECT * FROM analytics.customer_360").fetchall() for v in row)
    for raw in ("13800138000", "1012345678", "zhang.wei@", "b@x.cn", "alt@example.com"):
        assert raw not in text


def test_activity_windows_setting_is_validated():
    assert activity_windows({"customer_360": {"activity_windows_days": [365, 30, 90, 30]}}) == (30, 90, 365)
    assert activity_windows({}) == (30, 90, 365)
    with pytest.raises(ValueError, match="activity_windows_days"):
        activity_windows({"customer_360": {"activity_windows_days": [0, 30]}})


# --- masking helpers -----------------------------------------------------------------------------

@pytest.mark.parametrize(("kind", "raw", "masked"), [
    ("phone", "+8613800138000", "138****8000"),
    ("phone", "+86 138-0013-8000", "138****8000"),
    ("phone", "008613800138000", "138****8000"),
    ("phone", "13800138000", "138****8000"),
    ("phone", "+861012345678", "****5678"),  # Beijing landline: only the last 4 digits
    ("phone", "+16505551234", "165****1234"),
    ("phone", "12345", "***"),
    ("phone", None, None),
    ("email", "zhang.wei@example.com", "z***@example.com"),
    ("email", " Zhang.Wei@Example.COM ", "z***@example.com"),
    ("email", "李@例子.中国", "李***@例子.中国"),
    ("email", "not an address", "***"),
    ("email", None, None),
])
def test_masking_is_the_same_in_python_and_sql(kind, raw, masked):
    python_twin = {"phone": mask_phone, "email": mask_email}[kind]
    assert python_twin(raw) == masked
    with duckdb.connect() as conn:
        register_masking_macros(conn)
        assert conn.execute(f"SELECT mask_{kind}($value)", {"value": raw}).fetchone()[0] == masked
