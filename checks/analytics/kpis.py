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

from datetime import date

import duckdb
from dagster import (
    AssetCheckExecutionContext,
    AssetCheckResult,
    AssetKey,
    asset_check,
)

from assets.analytics.kpis.logic import KPI_NAMES, churn_days_from
from assets.common.resources import PipelineSettings, Warehouse
from checks.common.results import SAMPLE_LIMIT, Outcome, masked_samples
from checks.common.running import run_check

TABLE = "analytics.kpis_monthly"
KPIS_KEY = AssetKey(["analytics", "kpis_monthly"])

# --- agreement with the core tables ------------------------------------------------------------------

# KPI → its recomputation over ``c``, the completed orders rebuilt from core.order_lines
SPOT_KPIS: dict[str, str] = {
    "revenue": "sum(amount) FILTER (WHERE order_date BETWEEN $month AND $period_end)",
    "orders": "count(*) FILTER (WHERE order_date BETWEEN $month AND $period_end)",
    "active_customers": "count(DISTINCT customer_id) FILTER (WHERE order_date BETWEEN $month AND $period_end)",
    "customers": "count(DISTINCT customer_id) FILTER (WHERE order_date BETWEEN "
                 "$period_end - CAST($churn_days AS INTEGER) AND $period_end)",
    "new_customers": "count(DISTINCT customer_id) FILTER (WHERE first_date BETWEEN $month AND $period_end)",
}

_RECOMPUTE_SQL = """
WITH lines_to_orders AS (
    SELECT order_id, arg_min(customer_id, line_no) AS customer_id, arg_min(status, line_no) AS status,
           min(order_date) AS order_date, sum(amount) AS amount
    FROM core.order_lines GROUP BY order_id
), c AS (
    SELECT *, min(order_date) OVER (PARTITION BY customer_id) AS first_date
    FROM lines_to_orders WHERE status = 'completed' AND order_date <= $as_of
)
SELECT (SELECT min(order_date) FROM lines_to_orders WHERE order_date <= $as_of) AS first_order_date,
       {columns}
FROM c
"""


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
    params: dict[str, object] = {"as_of": as_of, "churn_days": churn_days}
    columns = []
    for i, (month, period_end) in enumerate(months):  # one scan of the order lines for all months
        params[f"month_{i}"], params[f"period_end_{i}"] = month, period_end
        columns += [sql.replace("$month", f"$month_{i}").replace("$period_end", f"$period_end_{i}") + f" AS {name}_{i}"
                    for name, sql in SPOT_KPIS.items()]
    row = conn.execute(_RECOMPUTE_SQL.format(columns=",\n       ".join(columns)), params).fetchone()
    first_order_date, recomputed = row[0], row[1:]
    checked: dict[str, list[str]] = {name: [] for name in SPOT_KPIS}
    for i, (month, _period_end) in enumerate(months):
        covered = first_order_date is not None and first_order_date.replace(day=1) <= month
        table = dict(conn.execute(f"SELECT kpi, value FROM {TABLE} WHERE month = ? AND kpi IN "
                                  f"({', '.join('?' for _ in SPOT_KPIS)})", [month, *SPOT_KPIS]).fetchall())
        for j, name in enumerate(SPOT_KPIS):
            value = recomputed[i * len(SPOT_KPIS) + j]
            expected = (value if value is not None else 0) if covered else None
            if name not in table and expected is None:
                continue  # a month before any data: no row is right
            if name not in table:
                checked[name].append(f"{month:%Y-%m}: row missing, recomputed {expected}")
            elif not _close(table[name], expected):
                checked[name].append(f"{month:%Y-%m}: table {table[name]} ≠ recomputed {expected}")
    return [
        Outcome(
            expectation=f"expect_{name}_to_match_core_order_lines",
            column=name,
            description=f"{name} of the latest complete month and the as-of month equals its recomputation "
                        "from core.order_lines",
            success=not failures,
            element_count=len(months),
            unexpected_count=len(failures),
            unexpected_percent=100.0 * len(failures) / len(months),
            samples=masked_samples(failures, column=None),
        )
        for name, failures in checked.items()
    ]


# --- the table's own consistency ---------------------------------------------------------------------

_KPI_LIST = ", ".join(f"('{name}')" for name in KPI_NAMES)

# Each rule: (expectation, column, description, SQL giving one text label per violating row).
CONSISTENCY_RULES: tuple[tuple[str, str | None, str, str], ...] = (
    ("expect_one_row_per_month_and_kpi", "kpi",
     "every month from the first to the as-of month has exactly one row per KPI, and no other rows",
     f"""WITH grid AS (
            SELECT CAST(m AS DATE) AS month, k.kpi
            FROM range((SELECT min(month) FROM {TABLE}), CAST(date_trunc('month', $as_of) AS DATE) + INTERVAL 1 MONTH,
                       INTERVAL 1 MONTH) t(m)
            CROSS JOIN (VALUES {_KPI_LIST}) k(kpi)
        ), counted AS (SELECT month, kpi, count(*) AS n FROM {TABLE} GROUP BY ALL)
        SELECT strftime(coalesce(g.month, c.month), '%Y-%m') || ' ' || coalesce(g.kpi, c.kpi) || ': '
               || coalesce(c.n, 0) || ' rows'
        FROM grid g FULL JOIN counted c USING (month, kpi)
        WHERE g.kpi IS NULL OR coalesce(c.n, 0) <> 1
        ORDER BY 1"""),
    ("expect_period_end_and_partial_month_flag", "is_partial_month",
     "period_end is the month end (the as-of date in the as-of month); only the as-of month can be partial, "
     "and it is when the as-of date is not its last day; as_of is the run's as-of date",
     f"""SELECT strftime(month, '%Y-%m') || ' ' || kpi FROM {TABLE}
        WHERE period_end IS DISTINCT FROM least(last_day(month), $as_of)
           OR is_partial_month IS DISTINCT FROM (last_day(month) > $as_of)
           OR as_of IS DISTINCT FROM $as_of
        ORDER BY month, kpi"""),
    ("expect_comparisons_to_match_earlier_rows", "previous_month_value",
     "previous_month_value and same_month_last_year_value equal the value of the month before and of the "
     "month twelve months before, and the change columns are the differences",
     f"""SELECT strftime(t.month, '%Y-%m') || ' ' || t.kpi FROM {TABLE} t
        LEFT JOIN {TABLE} p ON p.kpi = t.kpi AND p.month = CAST(t.month - INTERVAL 1 MONTH AS DATE)
        LEFT JOIN {TABLE} y ON y.kpi = t.kpi AND y.month = CAST(t.month - INTERVAL 12 MONTH AS DATE)
        WHERE t.previous_month_value IS DISTINCT FROM p.value
           OR t.same_month_last_year_value IS DISTINCT FROM y.value
           OR abs(coalesce(t.change_vs_previous_month, 0) - coalesce(t.value - p.value, 0)) > 1e-9
           OR (t.change_vs_previous_month IS NULL) <> (t.value - p.value IS NULL)
           OR abs(coalesce(t.change_vs_last_year, 0) - coalesce(t.value - y.value, 0)) > 1e-9
           OR (t.change_vs_last_year IS NULL) <> (t.value - y.value IS NULL)
        ORDER BY t.month, t.kpi"""),
    ("expect_value_to_equal_numerator_over_denominator", "value",
     "every ratio, CSAT, average order value and NPS equals numerator ÷ denominator (NPS × 100), and is "
     "empty when the denominator is 0 or empty",
     f"""SELECT strftime(month, '%Y-%m') || ' ' || kpi FROM {TABLE}
        WHERE (unit = 'ratio' OR kpi IN ('csat', 'average_order_value', 'nps'))
          AND CASE WHEN coalesce(denominator, 0) = 0 THEN value IS NOT NULL
                   ELSE value IS NULL OR abs(value - (CASE WHEN kpi = 'nps' THEN 100 ELSE 1 END)
                                                       * numerator / denominator) > 1e-9 END
        ORDER BY month, kpi"""),
    ("expect_values_in_range", "value",
     "ratios are between 0 and 1, CSAT between 1 and 5, NPS between −100 and 100, counts are whole "
     "numbers ≥ 0 and hours ≥ 0",
     f"""SELECT strftime(month, '%Y-%m') || ' ' || kpi || ' = ' || value FROM {TABLE}
        WHERE (unit = 'ratio' AND NOT value BETWEEN 0 AND 1)
           OR (kpi = 'csat' AND NOT value BETWEEN 1 AND 5)
           OR (kpi = 'nps' AND NOT value BETWEEN -100 AND 100)
           OR (unit = 'count' AND (value < 0 OR value <> round(value)))
           OR (unit = 'hours' AND value < 0)
        ORDER BY month, kpi"""),
    ("expect_customer_flows_to_balance", "customers",
     "customers = previous month's customers + new + returning − churned customers",
     f"""WITH w AS (
            PIVOT (SELECT month, kpi, value FROM {TABLE}
                   WHERE kpi IN ('customers', 'new_customers', 'returning_customers', 'churned_customers'))
            ON kpi IN ('customers', 'new_customers', 'returning_customers', 'churned_customers')
            USING any_value(value) GROUP BY month
        )
        SELECT strftime(month, '%Y-%m') FROM (
            SELECT *, lag(customers) OVER (ORDER BY month) AS previous_customers FROM w)
        WHERE customers IS NOT NULL
          AND customers <> coalesce(previous_customers, 0) + new_customers + returning_customers - churned_customers
        ORDER BY month"""),
)


def consistency_outcomes(conn: duckdb.DuckDBPyConnection, as_of: date) -> list[Outcome]:
    """Evaluate every rule of CONSISTENCY_RULES on analytics.kpis_monthly."""
    total = conn.execute(f"SELECT count(*) FROM {TABLE}").fetchone()[0]
    outcomes = []
    for expectation, column, description, sql in CONSISTENCY_RULES:
        labels = [r[0] for r in conn.execute(sql, {"as_of": as_of} if "$as_of" in sql else {}).fetchall()]
        outcomes.append(Outcome(
            expectation=expectation, column=column, description=description, success=not labels,
            element_count=int(total), unexpected_count=len(labels),
            unexpected_percent=100.0 * len(labels) / total if total else 0.0,
            samples=masked_samples(labels[:SAMPLE_LIMIT], column=None),
        ))
    return outcomes


# --- the checks ----------------------------------------------------------------------------------------


def _result(context, warehouse: Warehouse, settings: PipelineSettings, check_name: str, evaluate) -> AssetCheckResult:
    churn_days = churn_days_from(settings.rules())
    return run_check(context, warehouse, settings, check_name=check_name, table=TABLE,
                     compute=lambda conn, as_of: evaluate(conn, as_of, churn_days))


@asset_check(
    asset=KPIS_KEY,
    name="kpis_agree_with_core_tables",
    blocking=True,
    additional_deps=[AssetKey(["core", "order_lines"])],
    description="Spot check (severity ERROR, blocking): revenue, orders, active customers, new customers and "
    "customers of the latest complete month and of the as-of month, recomputed independently from "
    "core.order_lines, equal analytics.kpis_monthly (revenue to the cent). A failure means the KPI table "
    "is stale (core rebuilt without it) or wrong; rematerialise analytics/kpis_monthly. The metadata "
    "lists the months with the table's and the recomputed values.",
)
def kpis_agree_with_core_tables(context: AssetCheckExecutionContext, warehouse: Warehouse,
                                settings: PipelineSettings) -> AssetCheckResult:
    return _result(context, warehouse, settings, "kpis_agree_with_core_tables", spot_check_outcomes)


@asset_check(
    asset=KPIS_KEY,
    name="kpis_are_consistent",
    description="The KPI table is complete and its arithmetic holds (severity ERROR): one row per month and "
    "KPI from the first to the as-of month, correct period_end and partial-month flag, previous-month and "
    "last-year columns equal the rows they refer to, every ratio = numerator ÷ denominator, values in "
    "range (ratios 0–1, CSAT 1–5, NPS −100…100, counts ≥ 0) and customers = previous customers + new + "
    "returning − churned. The metadata lists sample months and KPIs breaking each rule.",
)
def kpis_are_consistent(context: AssetCheckExecutionContext, warehouse: Warehouse,
                        settings: PipelineSettings) -> AssetCheckResult:
    return _result(context, warehouse, settings, "kpis_are_consistent",
                   lambda conn, as_of, _churn_days: consistency_outcomes(conn, as_of))


KPI_CHECKS = [kpis_agree_with_core_tables, kpis_are_consistent]
