"""The figures of the management report (客户管理汇报), aggregated in SQL.

Every function takes a DuckDB connection (only SELECTs are run) and returns small Python structures:
a few dozen rows at most whatever the number of customers, so the page stays small at 1M customers.
A table that does not exist (an installation that never built it) reads as empty, like a table with
no rows: the report then says "no data from this source" instead of drawing a chart.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import duckdb

from assets.common.sql import SqlFolder
from assets.common.tables import table_exists
from assets.common.vocabulary import CHURN_MODELS
from reports.common.queries import query_dicts

SQL = SqlFolder(__file__)

# The KPI cards of the executive summary, in display order (ids of analytics.kpi_definitions).
CARD_KPIS = ("customers", "active_customers", "revenue", "average_order_value", "repurchase_rate",
             "retention_rate", "csat", "nps")
# KPIs drawn as monthly trends.
TREND_KPIS = ("revenue", "customers", "active_customers", "new_customers", "churned_customers", "csat", "nps",
              "median_first_response_hours", "median_resolution_hours", "email_open_rate", "email_click_rate",
              "retention_rate", "repurchase_rate")
TREND_MONTHS = 24
COHORTS = 12
COHORT_MONTHS = 12
COMPLAINT_MONTHS = 12
# Core tables whose row counts the report lists (never their contents).
CORE_TABLES = ("customers", "orders", "order_lines", "interactions", "opportunities", "tickets", "surveys",
               "email_events")
LIFECYCLE_ORDER = ("potential", "new", "active", "loyal", "at_risk", "reactivated", "churned")
RISK_ORDER = ("high", "medium", "low")
VALUE_TIER_ORDER = ("high", "normal", "low")
MODEL_ORDER = CHURN_MODELS
METRIC_ORDER = ("roc_auc", "pr_auc", "brier_score", "top_decile_lift")


def _rows(conn: duckdb.DuckDBPyConnection, name: str, structure: dict[str, Any] | None = None,
          tables: tuple[str, ...] = (), **params: Any) -> list[dict[str, Any]]:
    """The rows of query ``name`` (sql/<name>.sql) as dicts; no rows when one of ``tables`` is missing."""
    if any(not table_exists(conn, t) for t in tables):
        return []
    return query_dicts(SQL, conn, name, structure, **params)


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


def _in_order(rows: list[dict[str, Any]], column: str, order: Sequence[str]) -> list[dict[str, Any]]:
    """The rows by where their ``column`` value stands in ``order``; values not in it last, alphabetically."""
    rank = {value: i for i, value in enumerate(order)}
    return sorted(rows, key=lambda r: (rank.get(r[column], len(rank)), str(r[column])))


# --- (a) executive summary -------------------------------------------------------------------------

def latest_complete_month(conn: duckdb.DuckDBPyConnection, as_of: date) -> date | None:
    """The first day of the newest KPI month that is complete (not the partial as-of month)."""
    rows = _rows(conn, "latest_complete_month", tables=("analytics.kpis_monthly",), as_of=as_of)
    return rows[0]["month"] if rows else None


def kpi_definitions(conn: duckdb.DuckDBPyConnection) -> dict[str, dict[str, Any]]:
    """KPI id → label_en, label_zh, unit, source, definition (analytics.kpi_definitions order)."""
    rows = _rows(conn, "kpi_definitions", tables=("analytics.kpi_definitions",))
    return {r["kpi"]: r for r in rows}


def kpi_snapshot(conn: duckdb.DuckDBPyConnection, month: date | None) -> dict[str, dict[str, Any]]:
    """KPI id → value, previous_month_value, change_vs_previous_month, relative_change_vs_previous_month,
    same_month_last_year_value, change_vs_last_year, relative_change_vs_last_year and unit for one month."""
    if month is None:
        return {}
    rows = _rows(conn, "kpi_snapshot", tables=("analytics.kpis_monthly",), month=month)
    return {r["kpi"]: r for r in rows}


def kpi_series(conn: duckdb.DuckDBPyConnection, month: date | None, kpis: tuple[str, ...] = TREND_KPIS,
               months: int = TREND_MONTHS) -> dict[str, list[tuple[date, float | None]]]:
    """KPI id → [(month, value)] for the ``months`` complete months up to ``month``, oldest first.
    A KPI whose source was not exported (all values empty) gets an empty list."""
    if month is None:
        return {k: [] for k in kpis}
    rows = _rows(conn, "kpi_series", tables=("analytics.kpis_monthly",), kpis=list(kpis), month=month,
                 months=months)
    series: dict[str, list[tuple[date, float | None]]] = {k: [] for k in kpis}
    for r in rows:
        series[r["kpi"]].append((r["month"], _float(r["value"])))
    return {k: (v if any(x is not None for _, x in v) else []) for k, v in series.items()}


@dataclass(frozen=True)
class RiskTotals:
    scored_customers: int
    high_risk_customers: int
    high_risk_value_at_risk: float
    value_at_risk: float


def risk_totals(conn: duckdb.DuckDBPyConnection) -> RiskTotals | None:
    """Customers scored for churn, those at high risk and the value at risk (None without scores)."""
    rows = _rows(conn, "risk_totals", tables=("analytics.churn_scores",))
    if not rows or not rows[0]["scored"]:
        return None
    r = rows[0]
    return RiskTotals(int(r["scored"]), int(r["high"]), round(float(r["high_var"]), 2), round(float(r["var"]), 2))


# --- (b) data collection and quality ---------------------------------------------------------------

def source_loads(conn: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    """Per export kind: files loaded, rows read from them, duplicate deliveries skipped, files rejected."""
    loads = _rows(conn, "source_loads", tables=("raw.load_log",))
    rejected = {r["source"]: int(r["files"])
                for r in _rows(conn, "rejected_files", tables=("quality.file_rejections",))}
    for row in loads:
        row["source"] = row["kind"].split("_", 1)[0]
        row["rejected_files"] = 0
    for source, files in sorted(rejected.items()):
        matching = [r for r in loads if r["source"] == source]
        if matching:
            matching[0]["rejected_files"] = files
        else:
            loads.append({"kind": source, "source": source, "files": 0, "rows_read": 0, "duplicates": 0,
                          "rejected_files": files})
    return sorted(loads, key=lambda r: r["kind"])


def core_row_counts(conn: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    """Rows of each core table (0 when the table is missing)."""
    counts = []
    for name in CORE_TABLES:
        rows = _rows(conn, "row_count", {"table": f"core.{name}"}, tables=(f"core.{name}",))
        counts.append({"table": f"core.{name}", "rows": int(rows[0]["n"]) if rows else 0})
    return counts


def quality_scores(conn: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    """The overall data-quality score and each source's overall score (None when not measurable)."""
    rows = _rows(conn, "quality_scores", tables=("quality.scorecard",))
    by_source = {r["source"]: _float(r["score"]) for r in rows}
    return {"overall": by_source.pop("overall", None),
            "sources": [{"source": s, "score": by_source[s]} for s in sorted(by_source)]}


def quarantine_counts(conn: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    """Unresolved quarantined rows per export kind: distinct rows, rule breaches and the commonest rule."""
    return _rows(conn, "quarantine_counts", tables=("quality.quarantine",))


# --- (c) customer analysis -------------------------------------------------------------------------

def value_tiers(conn: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    """RFM value tiers (high, normal, low): customers, revenue, share of customers and of revenue."""
    return _in_order(_rows(conn, "value_tiers", tables=("analytics.rfm",)), "value_tier", VALUE_TIER_ORDER)


def rfm_segments(conn: duckdb.DuckDBPyConnection, segment_order: list[str] | None = None) -> list[dict[str, Any]]:
    """RFM segments: customers, revenue and revenue share, in the settings' rule order (unknown names
    last, alphabetically)."""
    return _in_order(_rows(conn, "rfm_segments", tables=("analytics.rfm",)), "segment", segment_order or [])


def cluster_profiles(conn: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    """Behaviour clusters: names, traits (en and zh), size and mean behaviour."""
    return _rows(conn, "cluster_profiles", tables=("analytics.cluster_profiles",))


def lifecycle_current(conn: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    """Customers per lifecycle stage in the current snapshot, in lifecycle order."""
    return _in_order(_rows(conn, "lifecycle_current", tables=("analytics.lifecycle",)), "stage", LIFECYCLE_ORDER)


def lifecycle_flows(conn: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    """Stage-to-stage customer counts of the latest monthly transition (previous month end → latest
    snapshot): {"from_date", "to_date", "flows": [{from_stage, from_stage_zh, to_stage, to_stage_zh,
    customers}]}; flows empty without transitions."""
    rows = _rows(conn, "lifecycle_flows", tables=("analytics.lifecycle_transitions",))
    if not rows:
        return {"from_date": None, "to_date": None, "flows": []}
    return {"from_date": rows[0]["previous_snapshot_date"], "to_date": rows[0]["snapshot_date"],
            "flows": [{k: r[k] for k in ("from_stage", "from_stage_zh", "to_stage", "to_stage_zh", "customers")}
                      for r in rows]}


def cohort_matrix(conn: duckdb.DuckDBPyConnection, as_of: date, cohorts: int = COHORTS,
                  months: int = COHORT_MONTHS) -> dict[str, Any]:
    """Customer retention of the newest ``cohorts`` first-purchase months, months 0..``months`` since:
    {"cohorts": [month], "sizes": [customers], "months_since": [0..], "retention": [[share or None]]}."""
    rows = _rows(conn, "cohort_matrix", tables=("analytics.cohort_retention",), as_of=as_of, cohorts=cohorts,
                 months=months)
    cohort_months = sorted({r["cohort_month"] for r in rows})
    grid = {(r["cohort_month"], r["months_since"]): _float(r["customer_retention"]) for r in rows}
    sizes = {r["cohort_month"]: int(r["cohort_customers"]) for r in rows}
    since = list(range(months + 1))
    return {"cohorts": cohort_months, "sizes": [sizes[c] for c in cohort_months], "months_since": since,
            "retention": [[grid.get((c, m)) for m in since] for c in cohort_months]}


# --- (d) churn and value ---------------------------------------------------------------------------

def risk_tiers(conn: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    """Churn risk tiers (high, medium, low): customers, summed 12-month CLV and value at risk."""
    rows = _rows(conn, "risk_tiers", tables=("analytics.churn_scores",))
    order = {t: i for i, t in enumerate(RISK_ORDER)}
    return sorted(rows, key=lambda r: (order.get(r["risk_tier"], 99), str(r["risk_tier"])))


def nice_edges(maximum: float) -> list[float]:
    """Bucket edges 0, 100, 200, 500, 1,000, 2,000, 5,000 … up to the first edge above ``maximum``."""
    edges = [0.0]
    step = 100.0
    while True:
        for factor in (1, 2, 5):
            edges.append(step * factor)
            if step * factor > maximum:
                return edges
        step *= 10


def clv_histogram(conn: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    """Customers per 12-month CLV bucket (edges 0, 100, 200, 500, 1k … in the currency), counted in
    SQL: {"buckets": [{low, high, customers, clv_12m}], "customers", "total", "median"}; no buckets
    when the CLV model was not fitted."""
    stats = _rows(conn, "clv_stats", tables=("analytics.clv",))
    if not stats or not stats[0]["n"]:
        return {"buckets": [], "customers": 0, "total": None, "median": None}
    edges = nice_edges(float(stats[0]["top"]))
    counted = {r["bucket"]: r for r in _rows(conn, "clv_histogram", edges=edges[1:])}
    buckets = []
    for i in range(len(edges) - 1):
        hit = counted.get(i, {"customers": 0, "clv_12m": 0.0})
        buckets.append({"low": edges[i], "high": edges[i + 1], "customers": int(hit["customers"]),
                        "clv_12m": float(hit["clv_12m"])})
    return {"buckets": buckets, "customers": int(stats[0]["n"]), "total": round(float(stats[0]["total"]), 2),
            "median": round(float(stats[0]["median"]), 2)}


def churn_models(conn: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    """Backtest metrics per candidate churn model: {model, is_shipped, is_baseline, status, train_cutoff,
    test_cutoff, test_window_end, metrics: {metric: value}}, in the candidates' order."""
    rows = _rows(conn, "churn_models", tables=("analytics.churn_model_metrics",))
    models: dict[str, dict[str, Any]] = {}
    for r in rows:
        m = models.setdefault(r["model"], {k: r[k] for k in ("model", "is_shipped", "is_baseline", "status",
                                                              "train_cutoff", "test_cutoff", "test_window_end")}
                              | {"metrics": {}})
        m["metrics"][r["metric"]] = _float(r["value"])
    order = {m: i for i, m in enumerate(MODEL_ORDER)}
    return sorted(models.values(), key=lambda m: (order.get(m["model"], 99), m["model"]))


def churn_calibration(conn: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    """The shipped model's backtest deciles: customers, mean predicted and actual churn rate."""
    return _rows(conn, "churn_calibration", tables=("analytics.churn_calibration",))


def purchase_forecast(conn: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    """Predicted vs actual purchase days per past repeat-purchase bucket (and the 'all' row last)."""
    return _rows(conn, "purchase_forecast", tables=("analytics.purchase_forecast_accuracy",))


# --- (e) service and engagement --------------------------------------------------------------------

def complaint_categories(conn: duckdb.DuckDBPyConnection, as_of: date, months: int = COMPLAINT_MONTHS,
                         top: int = 15) -> dict[str, Any]:
    """Complaint tickets opened in the last ``months`` months up to the as-of date, by category (the
    ``top`` largest; the rest counted in other_complaints), and all tickets of the period:
    {"categories": [{category, complaints}], "other_complaints", "complaints", "tickets"}."""
    totals = _rows(conn, "complaint_totals", tables=("core.tickets",), as_of=as_of, months=months)
    categories = _rows(conn, "complaint_categories", tables=("core.tickets",), as_of=as_of, months=months, top=top)
    complaints = int(totals[0]["complaints"]) if totals else 0
    return {"categories": categories, "tickets": int(totals[0]["tickets"]) if totals else 0,
            "complaints": complaints, "other_complaints": complaints - sum(int(r["complaints"]) for r in categories)}


# --- (f) strategy ----------------------------------------------------------------------------------

# The columns segment_strategy reads from each table that may not have been built.
_OPTIONAL_COLUMNS = {
    "clv": (("customer_id", "VARCHAR"), ("clv_12m", "DOUBLE")),
    "churn_scores": (("customer_id", "VARCHAR"), ("risk_tier", "VARCHAR"), ("value_at_risk", "DOUBLE")),
    "next_best_actions": (("customer_id", "VARCHAR"), ("segment", "VARCHAR"), ("lifecycle_stage", "VARCHAR"),
                          ("assigned_action", "VARCHAR"), ("action_label_en", "VARCHAR"),
                          ("action_label_zh", "VARCHAR"), ("is_control", "BOOLEAN")),
}


def _optional(conn: duckdb.DuckDBPyConnection, *relations: tuple[str, str]) -> dict[str, Any]:
    """The structure naming each (relation, analytics table): the table, or no rows with the same
    columns when it does not exist."""
    return {"optional": [{"name": relation, "table": table, "built": table_exists(conn, f"analytics.{table}"),
                          "columns": _OPTIONAL_COLUMNS[table]} for relation, table in relations]}


def segment_strategy(conn: duckdb.DuckDBPyConnection, segment_order: list[str] | None = None) -> list[dict[str, Any]]:
    """Per RFM segment: customers, revenue, share of revenue, summed 12-month CLV, customers scored and
    at high churn risk, value at risk, customers on the action list (treated and control) and the most
    common playbook action (ties: action code) with its labels. Prospects (no purchase yet, lifecycle
    stage potential) are one more row with segment None. A prediction or action table that was not
    built reads as empty (the segments are still listed, without CLV, scores or actions)."""
    if not table_exists(conn, "analytics.rfm"):
        return []
    rows = _rows(conn, "segment_strategy",
                 _optional(conn, ("clv", "clv"), ("scores", "churn_scores"), ("actions", "next_best_actions")))
    order = {s: i for i, s in enumerate(segment_order or [])}
    rows = sorted(rows, key=lambda r: (order.get(r["segment"], len(order)), str(r["segment"])))
    prospects = _rows(conn, "prospects", _optional(conn, ("actions", "next_best_actions")),
                      tables=("analytics.lifecycle",))
    if prospects and prospects[0]["customers"]:
        p = prospects[0]
        rows.append({"segment": None, "segment_zh": None, "customers": int(p["customers"]), "revenue": 0.0,
                     "revenue_share": 0.0, "clv_12m": None, "scored": 0, "high_risk": 0, "value_at_risk": 0.0,
                     **{k: p[k] for k in ("on_list", "main_action", "main_action_customers", "main_action_en",
                                          "main_action_zh")}})
    for r in rows:
        for key in ("revenue", "revenue_share", "clv_12m", "value_at_risk"):
            r[key] = None if r[key] is None else round(float(r[key]), 6)
    return rows


def action_lists(conn: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    """Dates of the action lists issued: {"first": date or None, "latest": date or None, "count": n}."""
    with_history = table_exists(conn, "analytics.action_list_history")
    rows = _rows(conn, "action_lists", {"with_history": with_history},
                 tables=() if with_history else ("analytics.next_best_actions",))
    if not rows or rows[0]["first"] is None:
        return {"first": None, "latest": None, "count": 0}
    return {"first": rows[0]["first"], "latest": rows[0]["latest"], "count": int(rows[0]["n"])}


def action_lift(conn: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    """The measured lift of the latest list whose evaluation window is complete ({"complete": [rows]},
    the 'all' row first) and of the newest list still being measured ({"open": [rows]})."""
    rows = _rows(conn, "action_lift", tables=("analytics.action_lift",))
    complete_dates = [r["list_date"] for r in rows if r["window_complete"]]
    open_dates = [r["list_date"] for r in rows if not r["window_complete"]]
    latest_complete = max(complete_dates) if complete_dates else None
    latest_open = max(open_dates) if open_dates else None
    return {"complete": [r for r in rows if r["list_date"] == latest_complete],
            "open": [r for r in rows if r["list_date"] == latest_open]}
