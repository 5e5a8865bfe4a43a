"""Small synthetic core tables for the churn tests: customers who buy regularly, drift away
(fewer contacts, more complaints, fewer e-mail opens) and churn at a known date."""

from __future__ import annotations

from datetime import date, timedelta

import duckdb
import numpy as np
import polars as pl

CORE_DDL = """
CREATE SCHEMA IF NOT EXISTS core; CREATE SCHEMA IF NOT EXISTS analytics;
CREATE TABLE core.orders (order_id VARCHAR, customer_id VARCHAR, order_date DATE, status VARCHAR,
                          amount DECIMAL(18, 2), is_revenue BOOLEAN);
CREATE TABLE core.order_lines (order_id VARCHAR, customer_id VARCHAR, order_date DATE, sku VARCHAR,
                               category VARCHAR, status VARCHAR, amount DECIMAL(18, 2));
CREATE TABLE core.interactions (customer_id VARCHAR, interaction_date DATE);
CREATE TABLE core.tickets (customer_id VARCHAR, opened_date DATE, resolved_at TIMESTAMP, is_complaint BOOLEAN,
                           csat INTEGER);
CREATE TABLE core.surveys (customer_id VARCHAR, survey_ts TIMESTAMP, survey_date DATE, nps_score INTEGER);
CREATE TABLE core.email_events (customer_id VARCHAR, event_type VARCHAR, event_date DATE);
CREATE TABLE core.opportunities (customer_id VARCHAR, created_date DATE, close_date DATE, status VARCHAR,
                                 amount DECIMAL(18, 2));
CREATE TABLE analytics.clv (customer_id VARCHAR, clv_12m DOUBLE);
"""


def empty_core() -> duckdb.DuckDBPyConnection:
    """An in-memory warehouse with empty core tables of the columns the churn features read."""
    conn = duckdb.connect()
    conn.execute(CORE_DDL)
    return conn


def insert(conn: duckdb.DuckDBPyConnection, table: str, rows: list[tuple]) -> None:
    if rows:
        width = len(rows[0])
        conn.executemany(f"INSERT INTO {table} VALUES ({', '.join('?' * width)})", rows)


def orders_core(rows: list[tuple]) -> duckdb.DuckDBPyConnection:
    """A warehouse whose only data are orders given as (customer, order date, amount[, status]);
    every other core table exists and is empty."""
    conn = empty_core()
    insert(conn, "core.orders", [(f"O{i}", r[0], r[1], r[3] if len(r) > 3 else "completed", r[2],
                                  (r[3] if len(r) > 3 else "completed") == "completed") for i, r in enumerate(rows)])
    return conn


def synthetic_core(customers: int, as_of: date, seed: int = 3, *, post_cutoff_leak: date | None = None,
                   days: int = 720) -> duckdb.DuckDBPyConnection:
    """A warehouse of ``customers`` simulated customers over the ``days`` before ``as_of``.

    With ``post_cutoff_leak`` set, behaviour before that date carries no churn signal at all
    (everyone buys, talks and opens e-mails alike); only after it do churners stop buying and file
    complaints. A model that scores well on such data must be reading the future."""
    rng = np.random.default_rng(seed)
    start = as_of - timedelta(days=days)
    rows: dict[str, list[tuple]] = {k: [] for k in ("orders", "lines", "interactions", "tickets", "emails",
                                                    "surveys", "opps", "clv")}
    for i in range(customers):
        cid = f"C{i:05d}"
        first = int(rng.integers(0, max(1, min(300, days - 30))))
        gap = float(rng.uniform(15, 60))
        if post_cutoff_leak is None:
            churn = first + int(rng.exponential(500))
            drift = churn - 75
        else:
            churn = (post_cutoff_leak - start).days + 1 if rng.random() < 0.5 else 10_000
            drift = churn
        day, n = float(first), 0
        while day < min(churn, days):
            d = start + timedelta(days=int(day))
            amount = round(float(rng.uniform(50, 500)), 2)
            rows["orders"].append((f"{cid}-{n}", cid, d, "completed", amount, True))
            rows["lines"].append((f"{cid}-{n}", cid, d, f"SKU{int(rng.integers(0, 12))}",
                                  f"cat{int(rng.integers(0, 4))}", "completed", amount))
            n += 1
            day += rng.exponential(gap * (3 if day >= drift else 1))
        for k in range(first, days, 14):
            d = start + timedelta(days=k)
            drifting, gone = k >= drift, k >= churn
            if rng.random() < (0.05 if gone else 0.2 if drifting else 0.6):
                rows["interactions"].append((cid, d))
            complaint_rate = 0.3 if drifting and not gone and post_cutoff_leak is None else 0.02
            if post_cutoff_leak is not None and k >= (post_cutoff_leak - start).days and churn < 10_000:
                complaint_rate = 0.6
            if rng.random() < complaint_rate:
                rows["tickets"].append((cid, d, d + timedelta(days=2), True, int(rng.integers(1, 3))))
            rows["emails"].append((cid, "delivered", d))
            if rng.random() < (0.05 if drifting else 0.4):
                rows["emails"].append((cid, "open", d))
        if rng.random() < 0.3:
            d = start + timedelta(days=int(rng.integers(first, days)))
            rows["surveys"].append((cid, d, d, int(rng.integers(0, 11))))
        if rng.random() < 0.3:
            d = start + timedelta(days=int(rng.integers(first, max(first + 1, days - 20))))
            rows["opps"].append((cid, d, d + timedelta(days=60), "won", 1000.0))
        rows["clv"].append((cid, round(float(rng.uniform(100, 5000)), 2)))
    conn = empty_core()
    for name, table in (("orders", "core.orders"), ("lines", "core.order_lines"),
                        ("interactions", "core.interactions"), ("tickets", "core.tickets"),
                        ("emails", "core.email_events"), ("surveys", "core.surveys"),
                        ("opps", "core.opportunities"), ("clv", "analytics.clv")):
        frame = pl.DataFrame(rows[name], orient="row") if rows[name] else None
        if frame is not None:
            conn.register("rows_to_insert", frame)
            conn.execute(f"INSERT INTO {table} SELECT * FROM rows_to_insert")
            conn.unregister("rows_to_insert")
    return conn


def as_known_at(conn: duckdb.DuckDBPyConnection, cutoff: date) -> None:
    """Rewrite the warehouse to what was known on the cutoff date: later rows removed, later ticket
    resolutions and opportunity outcomes unknown."""
    conn.execute("DELETE FROM core.orders WHERE order_date > $c", {"c": cutoff})
    conn.execute("DELETE FROM core.order_lines WHERE order_date > $c", {"c": cutoff})
    conn.execute("DELETE FROM core.interactions WHERE interaction_date > $c", {"c": cutoff})
    conn.execute("DELETE FROM core.tickets WHERE opened_date > $c", {"c": cutoff})
    conn.execute("UPDATE core.tickets SET resolved_at = NULL, csat = NULL WHERE resolved_at::DATE > $c",
                 {"c": cutoff})
    conn.execute("DELETE FROM core.surveys WHERE survey_date > $c", {"c": cutoff})
    conn.execute("DELETE FROM core.email_events WHERE event_date > $c", {"c": cutoff})
    conn.execute("DELETE FROM core.opportunities WHERE created_date > $c", {"c": cutoff})
    conn.execute("UPDATE core.opportunities SET close_date = NULL, status = 'open' WHERE close_date > $c",
                 {"c": cutoff})
