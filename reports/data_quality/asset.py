"""Data-quality report (数据质量报告): check results over time, the latest run's failing
expectations, quarantined rows, the source × dimension scorecard, row reconciliation, rejected files
and the load log, all from SQL aggregates of the quality tables."""

import json
from datetime import date, datetime
from typing import Any

import duckdb
import plotly.graph_objects as go
from dagster import AssetExecutionContext, AssetKey, MaterializeResult

from assets.analytics import ANALYTICS_ASSETS
from assets.common.resources import PipelineSettings, Warehouse
from assets.common.sql import SqlFolder
from assets.common.tables import table_exists
from assets.ingest.asset import RAW_ASSETS
from assets.staging.asset import STAGING_ASSETS
from reports.common.charts import chart_html, label, plotly_script
from reports.common.formatting import Formatter
from reports.common.outcome import build_report, report_asset
from reports.common.queries import query_dicts
from reports.common.settings import ReportSettings, report_settings
from reports.common.shareable import shareable_text
from reports.common.table_reports import (
    DIMENSION_LABELS,
    DIMENSIONS,
    KIND_LABELS,
    LOAD_STATUS_LABELS,
    SEVERITY_LABELS,
    SOURCE_LABELS,
    SOURCES,
    decimal_to_float,
    label_of,
    render_pages,
    rule_label,
    sort_date,
    sort_number,
)
from reports.common.wording import wording

SQL = SqlFolder(__file__)
STEM = "data_quality"
VALIDATION = "quality.validation_results"
QUARANTINE = "quality.quarantine"
SCORECARD = "quality.scorecard"
RECONCILIATION = "quality.reconciliation"
REJECTIONS = "quality.file_rejections"
LOAD_LOG = "raw.load_log"
# Rows of the longer tables (runs shown: [reports] quality_history_runs).
LIST_LIMIT = 200
SERIES = (("passed", "ERROR", "#2f855a"), ("passed", "WARN", "#8fd19e"),
          ("failed", "ERROR", "#c53030"), ("failed", "WARN", "#e0b43a"))

STRINGS = wording(__file__)["labels"]


# --- SQL --------------------------------------------------------------------------------------------


def run_history(conn: duckdb.DuckDBPyConnection, runs: int = ReportSettings.quality_history_runs) -> list[dict]:
    """The latest ``runs`` check runs, oldest first: start time, as-of date and expectations passed
    and failed by severity (ERROR = blocking, anything else advisory)."""
    if not table_exists(conn, VALIDATION):
        return []
    rows = query_dicts(SQL, conn, "run_history", runs=int(runs))
    return list(reversed(rows))


def failing_expectations(conn: duckdb.DuckDBPyConnection, run_id: str) -> list[dict]:
    """The expectations of run ``run_id`` that did not pass, blocking first, with the masked sample
    values as the checks stored them."""
    rows = query_dicts(SQL, conn, "failing_expectations", run_id=run_id)
    for row in rows:
        row["samples"] = [shareable_text(v) for v in _samples(row.pop("sample_values"))]
    return rows


def _samples(stored: str | None) -> list[str]:
    """The stored JSON list of masked sample values as texts (a non-JSON text as one value)."""
    if not stored:
        return []
    try:
        values = json.loads(stored)
    except ValueError:
        return [stored]
    return [str(v) for v in values] if isinstance(values, list) else [str(values)]


def _shareable(rows: list[dict], column: str) -> list[dict]:
    """The rows with ``column`` (a text from a file or an error) as a shareable page may show it."""
    for row in rows:
        if row[column] is not None:
            row[column] = shareable_text(row[column])
    return rows


def quarantine_by_rule(conn: duckdb.DuckDBPyConnection) -> list[dict]:
    """Quarantined rows per (export kind, rule, stage): unresolved, resolved, total."""
    if not table_exists(conn, QUARANTINE):
        return []
    return _shareable(query_dicts(SQL, conn, "quarantine_by_rule"), "rule")


def quarantine_by_file(conn: duckdb.DuckDBPyConnection) -> tuple[list[dict], int]:
    """Quarantined rows per (export kind, file), most unresolved first, at most LIST_LIMIT rows; and
    how many (kind, file) pairs there are."""
    if not table_exists(conn, QUARANTINE):
        return [], 0
    rows = query_dicts(SQL, conn, "quarantine_by_file", limit=LIST_LIMIT)
    files = int(rows[0]["files"]) if rows else 0
    return _shareable(rows, "source_file"), files


def scorecard_matrix(conn: duckdb.DuckDBPyConnection) -> list[dict]:
    """One dict per source (sales, crm, service, email, overall, then any other, by name) with the
    score, numerator, denominator and age_days of each dimension."""
    if not table_exists(conn, SCORECARD):
        return []
    cells = query_dicts(SQL, conn, "scorecard_cells")
    if not cells:
        return []
    found = [s for s in SOURCES if any(c["source"] == s for c in cells)]
    found += sorted({c["source"] for c in cells} - set(SOURCES))
    return [{"source": source, "cells": {c["dimension"]: decimal_to_float(c) for c in cells if c["source"] == source}}
            for source in found]


def reconciliation_rows(conn: duckdb.DuckDBPyConnection) -> list[dict]:
    """quality.reconciliation by export kind, with whether read = staged + quarantined + collapsed."""
    if not table_exists(conn, RECONCILIATION):
        return []
    return query_dicts(SQL, conn, "reconciliation")


def rejected_files(conn: duckdb.DuckDBPyConnection) -> tuple[list[dict], int]:
    """Rejected files, newest first (at most LIST_LIMIT), the error text masked; and how many in all."""
    if not table_exists(conn, REJECTIONS):
        return [], 0
    rows = query_dicts(SQL, conn, "rejected_files", limit=LIST_LIMIT)
    for row in rows:
        row["error"] = shareable_text(row["error"])
        row["source_file"] = shareable_text(row["source_file"]) or None
    return rows, int(rows[0]["files"]) if rows else 0


def load_log_summary(conn: duckdb.DuckDBPyConnection) -> list[dict]:
    """raw.load_log per export kind: files loaded, duplicate deliveries, rows read by the loaded
    files, files with unrecognised columns, last load time."""
    if not table_exists(conn, LOAD_LOG):
        return []
    return query_dicts(SQL, conn, "load_log_summary")


# --- chart --------------------------------------------------------------------------------------------


def _run_labels(history: list[dict], fmt: Formatter) -> list[str]:
    """A distinct x-axis label per run: its start time, and the run id's first characters when two
    runs started in the same minute."""
    times = [f"{fmt.date(r['started'])} {r['started']:%H:%M}" for r in history]
    return [f"{t} · {label(str(r['run_id'])[:8])}" if times.count(t) > 1 else t
            for t, r in zip(times, history, strict=True)]


def history_chart(history: list[dict], language: str, fmt: Formatter, s: dict[str, str]) -> str:
    """Stacked bars per run: passed and failed expectations by severity."""
    labels = _run_labels(history, fmt)
    figure = go.Figure()
    for outcome, severity, colour in SERIES:
        name = f"{s[outcome]} · {SEVERITY_LABELS[language][severity]}"
        figure.add_trace(go.Bar(
            x=labels, y=[int(r[f"{outcome}_{severity.lower()}"]) for r in history], name=name,
            marker_color=colour, hovertemplate="%{x}<br>" + name + ": %{y}<extra></extra>",
        ))
    figure.update_layout(barmode="stack", legend={"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 0},
                         yaxis_title=s["expectations"], xaxis={"type": "category", "tickangle": -30})
    return chart_html(figure, f"{STEM}-history-{language}", height=420)


# --- page ------------------------------------------------------------------------------------------------


def render_data_quality_pages(
    conn: duckdb.DuckDBPyConnection, as_of: date, generated_at: datetime, currency_symbol: str,
    thresholds: dict[str, Any] | None,
) -> dict[str, str]:
    """The data-quality report in Chinese and English: {"zh": html, "en": html}."""
    settings = report_settings(thresholds)
    runs, good, warn = settings.quality_history_runs, settings.quality_score_good, settings.quality_score_warn
    history = run_history(conn, runs)
    latest = history[-1] if history else None
    failing = failing_expectations(conn, latest["run_id"]) if latest else []
    by_rule = quarantine_by_rule(conn)
    by_file, file_count = quarantine_by_file(conn)
    matrix = scorecard_matrix(conn)
    reconciliation = reconciliation_rows(conn)
    rejections, rejection_count = rejected_files(conn)
    load_log = load_log_summary(conn)
    overall = next((row["cells"].get("overall") for row in matrix if row["source"] == "overall"), None)
    script = plotly_script() if history else ""

    def context(language: str) -> dict[str, Any]:
        fmt = Formatter(language, currency_symbol)
        s = STRINGS[language]
        return {
            "s": s, "history": history, "latest": latest,
            "runs": runs, "chart": history_chart(history, language, fmt, s) if history else "",
            "plotly_js": script, "failing": failing, "by_rule": by_rule, "by_file": by_file,
            "file_count": file_count, "matrix": matrix, "reconciliation": reconciliation,
            "rejections": rejections, "rejection_count": rejection_count, "load_log": load_log,
            "overall": overall, "unresolved": sum(int(r["unresolved"]) for r in by_rule),
            "good": good, "warn": warn, "dimensions": DIMENSIONS,
            "dimension_labels": DIMENSION_LABELS[language], "source_labels": SOURCE_LABELS,
            "kind_labels": KIND_LABELS, "rule_label": rule_label, "severity_labels": SEVERITY_LABELS,
            "status_labels": LOAD_STATUS_LABELS, "label_of": label_of, "list_limit": LIST_LIMIT,
            "sn": sort_number, "sd": sort_date,
        }

    return render_pages(STEM, "data_quality.html.j2", as_of, generated_at, currency_symbol, context)


@report_asset(
    STEM,
    kinds={"html", "plotly"},
    # The quality tables are written by the ingest (load log, file rejections, quarantine), staging
    # (quarantine, reconciliation) and scorecard assets; validation results by the checks of every
    # layer, so the report comes after the analytics tables too.
    deps=[key for assets_def in [*RAW_ASSETS, *STAGING_ASSETS, *ANALYTICS_ASSETS] for key in assets_def.keys]
    + [AssetKey(["quality", "scorecard"])],
)
def data_quality_report(
    context: AssetExecutionContext, warehouse: Warehouse, settings: PipelineSettings
) -> MaterializeResult:
    """数据质量报告 / Data-quality report: `<reports dir>/<as_of>/data_quality.html` (also `.zh.html`,
    `.en.html` and in `latest/`).

    Sections: summary cards (expectations of the latest check run, blocking and advisory failures,
    unresolved quarantined rows, rejected files, overall quality score); a stacked bar chart of
    passed and failed expectations per run by severity for the latest `[reports]
    quality_history_runs` (30) runs of quality.validation_results, with the same figures as a table;
    the failing expectations of the latest run with their masked sample values as stored; quarantined
    rows (quality.quarantine) by rule and by file, unresolved vs resolved; the scorecard
    (quality.scorecard) as a source × dimension matrix of percentages, coloured green / amber / red
    at `[reports] quality_score_good` (98%) and `quality_score_warn` (90%); row reconciliation
    (quality.reconciliation) with whether read = staged + quarantined + collapsed; rejected files
    (quality.file_rejections); and raw.load_log per export kind. Check results recorded later in the
    same run appear the next time the report is built."""
    return build_report(context, STEM, warehouse, settings, render_data_quality_pages)
