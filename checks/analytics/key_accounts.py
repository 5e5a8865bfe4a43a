"""Invariants of the customer 360 and the key-account table, as Dagster asset checks.

- ``every_buyer_graded_once`` on analytics/key_accounts (ERROR): the table holds exactly the customers
  with at least one completed order on or before the as-of date, each once, each with a grade
  VIP / A / B / C.
- ``grade_shares_match_settings`` on analytics/key_accounts (ERROR): with N graded customers, the number
  graded VIP (VIP or A, VIP or A or B) is N × the cumulative configured share rounded half up, so
  within ½ customer of it, and grades follow score_rank (the best ranks are VIP).
- ``no_raw_contacts`` on analytics/customer_360 and on analytics/key_accounts (ERROR, blocking): no
  text column holds an e-mail address or a phone number (E.164 ``+86…`` or a bare Chinese mobile);
  a leak stops the reports built on the table. Samples name the customer, never the value.

Outcomes go to ``quality.validation_results`` like the other checks.
"""

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any

import duckdb
from dagster import AssetChecksDefinition

from assets.analytics.key_accounts.logic import grade_cut_offs
from assets.analytics.key_accounts.settings import KeyAccountSettings
from assets.common.masking import RAW_EMAIL_PATTERN, RAW_PHONE_PATTERNS
from assets.common.sql import SqlFolder
from assets.common.vocabulary import GRADES
from checks.common.results import SAMPLE_LIMIT, Outcome, counted_outcome
from checks.common.running import invariant_check

KEY_ACCOUNTS = "analytics.key_accounts"
CUSTOMER_360 = "analytics.customer_360"
# The checks' queries: sql/key_accounts.sql, and the templates sql/raw_contact_*.sql.
SQL = SqlFolder(__file__)
QUERIES = SQL.named("key_accounts")


def _outcome(expectation: str, column: str | None, description: str, total: int, bad: int,
             samples: list) -> Outcome:
    return counted_outcome(expectation, column, description, total=total, failing=bad,
                           samples=tuple(str(s) for s in samples[:SAMPLE_LIMIT]))


def graded_once_outcomes(conn: duckdb.DuckDBPyConnection, as_of: date) -> list[Outcome]:
    """Buyers missing from the table, rows that are not buyers, customers listed twice, bad grades."""
    params = {"as_of": as_of}
    n_buyers = conn.execute(QUERIES["buyers"], params).fetchone()[0]
    rows = conn.execute(QUERIES["rows"]).fetchone()[0]
    missing = [r[0] for r in conn.execute(QUERIES["buyers_not_graded"], params).fetchall()]
    extra = [r[0] for r in conn.execute(QUERIES["graded_not_buyers"], params).fetchall()]
    twice = conn.execute(QUERIES["graded_twice"]).fetchall()
    bad_grade = [r[0] for r in conn.execute(QUERIES["bad_grade"], {"grades": list(GRADES)}).fetchall()]
    return [
        _outcome("expect_every_buying_customer_to_be_graded", "customer_id",
                 "every customer with a completed order on or before the as-of date has a row",
                 n_buyers, len(missing), missing),
        _outcome("expect_only_buying_customers_to_be_graded", "customer_id",
                 "every row is a customer with a completed order on or before the as-of date",
                 rows, len(extra), extra),
        _outcome("expect_customer_id_to_be_unique", "customer_id", "each customer is graded once",
                 rows, sum(int(c) - 1 for _, c in twice), [f"{k} × {c}" for k, c in twice]),
        _outcome("expect_grade_to_be_in_set", "grade", f"grade is one of {', '.join(GRADES)}",
                 rows, len(bad_grade), bad_grade),
    ]


def grade_share_outcomes(conn: duckdb.DuckDBPyConnection, ka: KeyAccountSettings) -> list[Outcome]:
    """Cumulative grade counts against N × cumulative share, and grades consistent with score_rank."""
    n = conn.execute(QUERIES["rows"]).fetchone()[0]
    counts = dict(conn.execute(QUERIES["grade_counts"]).fetchall())
    outcomes = []
    cumulative = 0
    for grade, share in zip(GRADES[:-1], ka.cumulative_shares(), strict=True):
        cumulative += int(counts.get(grade, 0))
        target = Decimal(n) * share
        off = abs(Decimal(cumulative) - target) > Decimal("0.5")
        outcomes.append(_outcome(
            f"expect_share_up_to_{grade}_to_match_settings", "grade",
            f"customers graded {'/'.join(GRADES[:GRADES.index(grade) + 1])} = {n} × {share} "
            f"= {target} within rounding (found {cumulative})",
            n, 1 if off else 0, [f"{cumulative} graded, expected {target}"] if off else [],
        ))
    vip, a, b = grade_cut_offs(n, ka)
    wrong = [f"{k} rank {r}: {g}" for k, r, g in conn.execute(
        QUERIES["grade_off_rank"], {"vip": vip, "a": a, "b": b}).fetchall()]
    outcomes.append(_outcome(
        "expect_grade_to_follow_score_rank", "grade, score_rank",
        f"ranks 1-{vip} VIP, to {a} A, to {b} B, the rest C", n, len(wrong), wrong,
    ))
    return outcomes


def raw_contact_outcomes(conn: duckdb.DuckDBPyConnection, table: str) -> list[Outcome]:
    """One outcome per text column (ids excluded): rows holding an e-mail address or phone number."""
    schema, name = table.split(".")
    columns = [c for (c,) in conn.execute(QUERIES["text_columns"], {"schema": schema, "name": name}).fetchall()
               if not c.endswith("_id")]
    patterns = {"email_pattern": RAW_EMAIL_PATTERN, "phone_patterns": list(RAW_PHONE_PATTERNS)}
    structure = {"table": table, "phone_patterns": len(RAW_PHONE_PATTERNS)}
    rows, *bad_counts = SQL.rows(conn, "raw_contact_counts", {**structure, "columns": columns},
                                 **(patterns if columns else {}))[0]
    outcomes = []
    for column, bad in zip(columns, bad_counts, strict=True):
        samples = [r[0] for r in SQL.rows(conn, "raw_contact_samples", {**structure, "column": column},
                                          limit=SAMPLE_LIMIT, **patterns)] if bad else []
        outcomes.append(_outcome(
            "expect_no_raw_phone_or_email", column,
            f"{column} holds no e-mail address and no phone number (samples are customer ids)",
            rows, bad, samples,
        ))
    return outcomes


def no_raw_contacts(table: str, what: str, blocked: str) -> AssetChecksDefinition:
    """The blocking ``no_raw_contacts`` check of ``table`` (the ``what``; a leak means ``blocked``)."""
    return invariant_check(
        table, lambda conn, _as_of, _rules: raw_contact_outcomes(conn, table), name="no_raw_contacts",
        blocking=True,
        description=f"No text column of the {what} holds an e-mail address or a phone number (E.164 or a bare "
        "Chinese mobile); contacts appear only masked (138****8000, z***@example.com). Severity ERROR, "
        f"blocking: {blocked}. Samples are customer ids.",
    )


def every_buyer_graded_once(conn: duckdb.DuckDBPyConnection, as_of: date,
                            _rules: Mapping[str, Any]) -> list[Outcome]:
    """The key-account table holds every customer with at least one completed order on or before the
    as-of date exactly once, each with a grade VIP, A, B or C, and nobody else (severity ERROR). A
    failure lists sample customer ids missing, extra, repeated or without a valid grade."""
    return graded_once_outcomes(conn, as_of)


def grade_shares_match_settings(conn: duckdb.DuckDBPyConnection, _as_of: date,
                                rules: Mapping[str, Any]) -> list[Outcome]:
    """Grade shares follow [key_accounts] vip_share, a_share and b_share: with N graded customers the
    count graded VIP, VIP or A, and VIP, A or B is N × the cumulative share within rounding (½
    customer), and grades follow score_rank (severity ERROR)."""
    return grade_share_outcomes(conn, KeyAccountSettings.from_thresholds(rules))


KEY_ACCOUNT_CHECKS = [
    invariant_check(KEY_ACCOUNTS, every_buyer_graded_once, additional_deps=["core.orders"]),
    invariant_check(KEY_ACCOUNTS, grade_shares_match_settings),
    no_raw_contacts(KEY_ACCOUNTS, "key-account table", "reports built on the table are not refreshed"),
    no_raw_contacts(CUSTOMER_360, "customer 360", "the tables and reports built on it are not refreshed"),
]
