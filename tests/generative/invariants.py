"""What must hold after every run on a plain export, whatever the export looks like.

Each function returns the violations it found as sentences (empty = it holds), so one example
reports every broken invariant at once. Some compare the warehouse with what was written into the
export (the oracle); the others are properties of the tables themselves.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date
from decimal import Decimal

import duckdb

from tests.generative.strategies import PlainExport

PENDING_CONTRACT = "contract table missing"


def _table_exists(conn: duckdb.DuckDBPyConnection, table: str) -> bool:
    schema, name = table.split(".")
    return conn.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_schema = ? AND table_name = ?",
        [schema, name],
    ).fetchall()[0][0] > 0


def distinct_rows(export: PlainExport) -> set[tuple]:
    """The export's records: a plain export has no order id, so a row repeated exactly is one record."""
    return {(p.customer_id, p.order_date, p.quantity, p.amount) for p in export.purchases}


def staged_sales_match_the_export(conn: duckdb.DuckDBPyConnection, export: PlainExport) -> list[str]:
    """Every row of the export was read; exactly the typo rows (10^12) were quarantined, as implausible
    amounts; staged, each customer has the export's number of distinct records and their amount, ids
    kept exactly."""
    problems = []
    read, staged, quarantined = conn.execute(
        "SELECT rows_read, rows_staged, rows_quarantined FROM quality.reconciliation WHERE kind = 'sales_order_lines'"
    ).fetchone()
    if read != len(export.rows):
        problems.append(f"rows_read {read} but the export has {len(export.rows)} data rows")
    rules = conn.execute("SELECT rule, raw_value FROM quality.quarantine WHERE kind = 'sales_order_lines' "
                         "ORDER BY ALL").fetchall()
    wrongly = [r for r in rules if not r[0].startswith("implausible amount")]
    if quarantined != len(export.typos) or wrongly:
        problems.append(f"{quarantined} rows quarantined, expected the {len(export.typos)} typo row(s) only; "
                        f"e.g. {(wrongly or rules)[:3]}")
    records = distinct_rows(export)
    if staged != len(records):
        problems.append(f"rows_staged {staged} but the export has {len(records)} distinct records")
    expected_count: Counter[str] = Counter()
    expected_amount: dict[str, Decimal] = defaultdict(Decimal)
    for customer, _, _, amount in records:
        expected_count[customer] += 1
        expected_amount[customer] += amount
    actual = {code: (n, total) for code, n, total in conn.execute(
        "SELECT customer_code, count(*), sum(amount) FROM staging.sales_order_lines GROUP BY ALL").fetchall()}
    expected = {code: (expected_count[code], expected_amount[code]) for code in expected_count}
    if actual != expected:
        wrong = sorted(set(actual.items()) ^ set(expected.items()), key=str)[:4]
        problems.append(f"staged lines or amounts per customer differ from the export: {wrong}")
    return problems


def rows_reconcile(conn: duckdb.DuckDBPyConnection) -> list[str]:
    """quality.reconciliation: rows_read = rows_staged + rows_quarantined + duplicates_collapsed per
    kind, and quality.reconciliation_by_file per file when the table exists."""
    problems = [
        f"{kind}: {read} read != {staged} staged + {quarantined} quarantined + {collapsed} collapsed"
        for kind, read, staged, quarantined, collapsed in conn.execute(
            "SELECT kind, rows_read, rows_staged, rows_quarantined, duplicates_collapsed FROM quality.reconciliation "
            "WHERE rows_read IS DISTINCT FROM rows_staged + rows_quarantined + duplicates_collapsed").fetchall()
    ]
    if _table_exists(conn, "quality.reconciliation_by_file"):
        problems += [
            f"{kind} {file} {sheet}: {read} read != {staged} + {quarantined} + {collapsed} + {rejected}"
            for kind, file, sheet, read, staged, quarantined, collapsed, rejected in conn.execute(
                "SELECT kind, source_file, sheet, rows_read, rows_staged, rows_quarantined, rows_collapsed, "
                "rows_rejected FROM quality.reconciliation_by_file WHERE rows_read IS DISTINCT FROM "
                "rows_staged + rows_quarantined + rows_collapsed + rows_rejected").fetchall()
        ]
    return problems


def rows_per_file_match_the_export(conn: duckdb.DuckDBPyConnection, rows_per_file: dict[str, int]) -> list[str]:
    """quality.reconciliation_by_file (when it exists) reads exactly the rows written into each file."""
    if not _table_exists(conn, "quality.reconciliation_by_file"):
        return []
    actual = dict(conn.execute("SELECT source_file, sum(rows_read) FROM quality.reconciliation_by_file "
                               "WHERE kind = 'sales_order_lines' GROUP BY ALL").fetchall())
    return [] if actual == rows_per_file else [f"rows read per file {actual}, written {rows_per_file}"]


_BUYERS_SQL = "SELECT DISTINCT customer_id FROM core.orders WHERE is_revenue AND order_date <= $as_of"


def every_buyer_scored_or_unscored(conn: duckdb.DuckDBPyConnection, as_of: date) -> list[str]:
    """Every customer with a completed purchase on or before the as-of date is in exactly one of
    analytics.churn_scores and analytics.churn_unscored (the contract in the helpers' notes)."""
    if not _table_exists(conn, "analytics.churn_unscored"):
        return [f"{PENDING_CONTRACT}: analytics.churn_unscored (built by the churn helper)"]
    missing = conn.execute(f"""
        SELECT b.customer_id FROM ({_BUYERS_SQL}) b
        WHERE (SELECT count(*) FROM analytics.churn_scores s WHERE s.customer_id = b.customer_id)
            + (SELECT count(*) FROM analytics.churn_unscored u WHERE u.customer_id = b.customer_id) != 1
        ORDER BY 1""", {"as_of": as_of}).fetchall()
    return [f"{len(missing)} buyers not in exactly one of churn_scores / churn_unscored, e.g. {missing[:3]}"
            ] if missing else []


def churn_probabilities_are_probabilities(conn: duckdb.DuckDBPyConnection) -> list[str]:
    bad = conn.execute("SELECT customer_id, churn_probability FROM analytics.churn_scores WHERE "
                       "churn_probability IS NULL OR isnan(churn_probability) OR churn_probability < 0 "
                       "OR churn_probability > 1 ORDER BY 1 LIMIT 3").fetchall()
    return [f"churn probabilities outside [0, 1]: {bad}"] if bad else []


def clv_is_finite_and_not_negative(conn: duckdb.DuckDBPyConnection, as_of: date) -> list[str]:
    """analytics.clv: one row per buyer with a finite 12-month CLV >= 0 (a fallback estimate when the
    models cannot be fitted); every other prediction it makes is a finite number >= 0 (p_alive at
    most 1; p_alive is empty when no drop-out model could be fitted)."""
    problems = []
    bad = conn.execute("""
        SELECT customer_id, p_alive, expected_purchases_12m, expected_avg_order_value, clv_12m
        FROM analytics.clv
        WHERE NOT (coalesce(isfinite(clv_12m) AND clv_12m >= 0, false)
               AND coalesce(isfinite(expected_purchases_12m) AND expected_purchases_12m >= 0, true)
               AND coalesce(isfinite(expected_avg_order_value) AND expected_avg_order_value >= 0, true)
               AND coalesce(p_alive BETWEEN 0 AND 1, true))
        ORDER BY 1 LIMIT 3""").fetchall()
    if bad:
        problems.append(f"CLV predictions not finite and >= 0: {bad}")
    unlisted = conn.execute(f"SELECT count(*) FROM ({_BUYERS_SQL}) b ANTI JOIN analytics.clv c USING (customer_id)",
                            {"as_of": as_of}).fetchall()[0][0]
    repeated = conn.execute("SELECT count(*) - count(DISTINCT customer_id) FROM analytics.clv").fetchall()[0][0]
    if unlisted or repeated:
        problems.append(f"analytics.clv: {unlisted} buyers missing, {repeated} listed twice")
    return problems


def violations(conn: duckdb.DuckDBPyConnection, export: PlainExport, as_of: date,
               rows_per_file: dict[str, int]) -> list[str]:
    """Every invariant of a run on ``export``."""
    return [
        *staged_sales_match_the_export(conn, export),
        *rows_reconcile(conn),
        *rows_per_file_match_the_export(conn, rows_per_file),
        *churn_probabilities_are_probabilities(conn),
        *clv_is_finite_and_not_negative(conn, as_of),
        *every_buyer_scored_or_unscored(conn, as_of),
    ]
