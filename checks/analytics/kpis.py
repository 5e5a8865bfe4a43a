"""Invariants of analytics.kpis_monthly, run as Dagster asset checks.

- ``kpis_agree_with_core_tables`` (ERROR, blocking): revenue, orders, active, new and buying
  customers of the latest complete month and of the as-of month, recomputed independently from
  core.order_lines (an order's status and customer are those of its first line, as in core.orders),
  equal the table. A failure means the KPI table is stale or its SQL is wrong; reports built on it are
  held back.
- ``kpis_are_consistent`` (ERROR): the table's own shape and arithmetic — one row per month and KPI
  for every month from the first to the as-of month, the partial-month flag and period end, the
  previous-month and last-year columns equal the rows they point at, every ratio equals numerator ÷
  denominator, values in range (ratios 0–1, CSAT 1–5, NPS −100…100, counts whole and ≥ 0), and the
  customer flows balance (customers = previous customers + new + returning − churned).

Outcomes go to ``quality.validation_results`` like the other checks (expectation = the rule).
"""

from collections.abc import Mapping
from datetime import date
from typing import Any

import duckdb

from assets.analytics.kpis.logic import KPI_NAMES
from assets.analytics.kpis.settings import churn_days_from
from assets.common.sql import SqlFolder
from checks.common.results import Outcome, counted_outcome, masked_samples
from checks.common.running import invariant_check, query_outcome

SQL = SqlFolder(__file__)
TABLE = "analytics.kpis_monthly"

# --- agreement with the core tables ------------------------------------------------------------------

# The KPIs recomputed from ``c``, the completed orders rebuilt from core.order_lines
# (sql/kpi_spot_check.sql)
SPOT_KPIS: tuple[str, ...] = ("revenue", "orders", "active_customers", "customers", "new_customers")


def _months_to_check(as_of: date) -> list[tuple[date, date]]:
    """(month, period_end) of the latest complete month and of the as-of month (once if the same)."""
    as_of_month = as_of.replace(day=1)
    previous_end = date.fromordinal(as_of_month.toordinal() - 1)
    month_end = date.fromordinal(date(as_of.year + as_of.month // 12, as_of.month % 12 + 1, 1).toordinal() - 1)
    if as_of == month_end:
        return [(as_of_month, as_of)]
    return [(previous_end.replace(day=1), previous_end), (as_of_month, as_of)]


def _close(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return abs(float(a) - float(b)) < 0.005


def spot_check_outcomes(conn: duckdb.DuckDBPyConnection, as_of: date, churn_days: int) -> list[Outcome]:
    """Recompute the spot KPIs from core.order_lines and compare them with analytics.kpis_monthly."""
    months = _months_to_check(as_of)
    cursor = SQL.run(conn, "kpi_spot_check", {"months": range(1, len(months) + 1)}, as_of=as_of,
                     churn_days=churn_days, months=[m for m, _ in months], period_ends=[e for _, e in months])
    recomputed = dict(zip((column[0] for column in cursor.description), cursor.fetchone(), strict=True))
    first_order_date = recomputed["first_order_date"]
    checked: dict[str, list[str]] = {name: [] for name in SPOT_KPIS}
    for i, (month, _period_end) in enumerate(months, start=1):
        covered = first_order_date is not None and first_order_date.replace(day=1) <= month
        table = dict(SQL.rows(conn, "kpi_values", month=month, kpis=list(SPOT_KPIS)))
        for name in SPOT_KPIS:
            value = recomputed[f"{name}_{i}"]
            expected = (value if value is not None else 0) if covered else None
            if name not in table and expected is None:
                continue  # a month before any data: no row is right
            if name not in table:
                checked[name].append(f"{month:%Y-%m}: row missing, recomputed {expected}")
            elif not _close(table[name], expected):
                checked[name].append(f"{month:%Y-%m}: table {table[name]} ≠ recomputed {expected}")
    return [
        counted_outcome(f"expect_{name}_to_match_core_order_lines", name,
                        f"{name} of the latest complete month and the as-of month equals its recomputation "
                        "from core.order_lines",
                        total=len(months), failing=len(failures), samples=masked_samples(failures, column=None))
        for name, failures in checked.items()
    ]


# --- the table's own consistency ---------------------------------------------------------------------

# Each rule: (expectation, column, description); its query (one text label per violating row) is the
# query of that name in sql/kpis.sql.
CONSISTENCY_RULES: tuple[tuple[str, str | None, str], ...] = (
    ("expect_one_row_per_month_and_kpi", "kpi",
     "every month from the first to the as-of month has exactly one row per KPI, and no other rows"),
    ("expect_period_end_and_partial_month_flag", "is_partial_month",
     "period_end is the month end (the as-of date in the as-of month); only the as-of month can be partial, "
     "and it is when the as-of date is not its last day; as_of is the run's as-of date"),
    ("expect_comparisons_to_match_earlier_rows", "previous_month_value",
     "previous_month_value and same_month_last_year_value equal the value of the month before and of the "
     "month twelve months before, and the change columns are the differences"),
    ("expect_value_to_equal_numerator_over_denominator", "value",
     "every ratio, CSAT, average order value and NPS equals numerator ÷ denominator (NPS × 100), and is "
     "empty when the denominator is 0 or empty"),
    ("expect_values_in_range", "value",
     "ratios are between 0 and 1, CSAT between 1 and 5, NPS between −100 and 100, counts are whole "
     "numbers ≥ 0 and hours ≥ 0"),
    ("expect_customer_flows_to_balance", "customers",
     "customers = previous month's customers + new + returning − churned customers"),
)


def consistency_outcomes(conn: duckdb.DuckDBPyConnection, as_of: date) -> list[Outcome]:
    """Evaluate every rule of CONSISTENCY_RULES on analytics.kpis_monthly."""
    total = conn.execute(f"SELECT count(*) FROM {TABLE}").fetchone()[0]
    queries = SQL.named("kpis")
    values = {"as_of": as_of, "kpi_names": list(KPI_NAMES)}
    return [query_outcome(conn, expectation, column, description, total=total, failing_sql=queries[expectation],
                          params=values)
            for expectation, column, description in CONSISTENCY_RULES]


# --- the checks ----------------------------------------------------------------------------------------


def _consistency(conn: duckdb.DuckDBPyConnection, as_of: date, rules: Mapping[str, Any]) -> list[Outcome]:
    churn_days_from(rules)  # the KPI settings are validated before the check, as for the spot check
    return consistency_outcomes(conn, as_of)


def kpis_agree_with_core_tables(conn: duckdb.DuckDBPyConnection, as_of: date,
                                rules: Mapping[str, Any]) -> list[Outcome]:
    """Spot check (severity ERROR, blocking): revenue, orders, active customers, new customers and
    customers of the latest complete month and of the as-of month, recomputed independently from
    core.order_lines, equal analytics.kpis_monthly (revenue to the cent). A failure means the
    KPI table is stale (core rebuilt without it) or wrong; rematerialise analytics/kpis_monthly.
    The metadata lists the months with the table's and the recomputed values."""
    return spot_check_outcomes(conn, as_of, churn_days_from(rules))


KPI_CHECKS = [
    invariant_check(TABLE, kpis_agree_with_core_tables, additional_deps=["core.order_lines"], blocking=True),
    invariant_check(
        table=TABLE,
        name="kpis_are_consistent",
        description="The KPI table is complete and its arithmetic holds (severity ERROR): one row per month and "
        "KPI from the first to the as-of month, correct period_end and partial-month flag, previous-month and "
        "last-year columns equal the rows they refer to, every ratio = numerator ÷ denominator, values in "
        "range (ratios 0–1, CSAT 1–5, NPS −100…100, counts ≥ 0) and customers = previous customers + new + "
        "returning − churned. The metadata lists sample months and KPIs breaking each rule.",
        compute=_consistency,
    ),
]
kpis_agree_with_core_tables, kpis_are_consistent = KPI_CHECKS
