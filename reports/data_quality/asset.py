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

STRINGS = {
    "zh": {
        "card_expectations": "最近一次检查的期望数", "card_failed_error": "阻断级未通过",
        "card_failed_warn": "提示级未通过", "card_unresolved": "未解决的隔离行", "card_rejections": "被拒收的文件",
        "card_overall": "综合质量得分",
        "intro": "数据检查（每次运行的期望结果，quality.validation_results）、被隔离的行（quality.quarantine）、"
                 "质量评分卡（quality.scorecard）、行数核对（quality.reconciliation）、被拒收的文件"
                 "（quality.file_rejections）与加载日志（raw.load_log）。样例值按存储时的脱敏形式显示。",
        "history": "检查结果趋势", "history_note": "最近 {n} 次运行中每次运行通过与未通过的期望数，按严重级别区分。",
        "passed": "通过", "failed": "未通过", "run": "运行", "expectations": "期望数",
        "col_started": "开始时间", "col_as_of": "数据日期", "col_run": "运行编号", "col_total": "期望数",
        "col_passed": "通过", "col_failed_error": "阻断级未通过", "col_failed_warn": "提示级未通过",
        "failing": "最近一次运行未通过的期望", "failing_note": "运行 {run}，开始于 {started}，数据日期 {as_of}。",
        "all_passed": "最近一次运行的全部期望均已通过。",
        "col_severity": "严重级别", "col_table": "表", "col_check": "检查", "col_expectation": "期望",
        "col_column": "字段", "col_unexpected": "异常数", "col_elements": "检查行数", "col_percent": "异常占比",
        "col_samples": "样例值（已脱敏）",
        "quarantine": "隔离的行", "quarantine_note": "无法使用的行，按规则和文件统计；之后交付的文件带来同一业务键的"
                                                  "有效行时，隔离行即视为已解决。",
        "by_rule": "按规则", "by_file": "按文件", "col_kind": "数据类型", "col_rule": "规则", "col_stage": "环节",
        "col_file": "文件", "col_unresolved": "未解决", "col_resolved": "已解决", "col_rows": "合计",
        "stage_ingest": "读取", "stage_staging": "清洗",
        "scorecard": "质量评分卡",
        "scorecard_note": "各来源系统在各维度上的得分（百分比）。绿色 ≥ {good}，黄色 ≥ {warn}，红色低于 {warn}；"
                          "空白表示无可衡量的数据。",
        "col_source": "来源", "age": "最新数据距数据日期 {days} 天",
        "reconciliation": "行数核对", "reconciliation_note": "每类导出：读取行 = 入库行 + 隔离行 + 合并的重复行。",
        "col_read": "读取行", "col_staged": "入库行", "col_quarantined": "隔离行", "col_duplicates": "合并的重复行",
        "col_duplicate_delivery": "重复交付的行", "col_superseded": "被更新替代的行", "col_repeated": "重复键的行",
        "col_balanced": "是否平衡", "yes": "是", "no": "否",
        "rejections": "被拒收的文件", "no_rejections": "没有被拒收的文件。",
        "col_error": "原因", "col_rejected_at": "拒收时间",
        "load_log": "加载日志", "load_log_note": "按数据类型汇总 raw.load_log。",
        "col_files": "已加载文件", "col_duplicate_files": "重复交付文件", "col_rows_read": "读取行数",
        "col_unmapped": "含未识别列的文件", "col_last_loaded": "最近加载",
        "no_data": "暂无数据。", "limited": "仅显示前 {shown} 行（共 {total} 行）。",
    },
    "en": {
        "card_expectations": "Expectations in the latest run", "card_failed_error": "Blocking failures",
        "card_failed_warn": "Advisory failures", "card_unresolved": "Unresolved quarantined rows",
        "card_rejections": "Rejected files", "card_overall": "Overall quality score",
        "intro": "Data checks (each run's expectation results, quality.validation_results), quarantined rows "
                 "(quality.quarantine), the quality scorecard (quality.scorecard), row reconciliation "
                 "(quality.reconciliation), rejected files (quality.file_rejections) and the load log "
                 "(raw.load_log). Sample values are shown masked, as stored.",
        "history": "Check results over time",
        "history_note": "Passed and failed expectations per run, by severity, for the latest {n} runs.",
        "passed": "Passed", "failed": "Failed", "run": "Run", "expectations": "Expectations",
        "col_started": "Started", "col_as_of": "As of", "col_run": "Run id", "col_total": "Expectations",
        "col_passed": "Passed", "col_failed_error": "Blocking failures", "col_failed_warn": "Advisory failures",
        "failing": "Failing expectations in the latest run",
        "failing_note": "Run {run}, started {started}, data as of {as_of}.",
        "all_passed": "Every expectation of the latest run passed.",
        "col_severity": "Severity", "col_table": "Table", "col_check": "Check", "col_expectation": "Expectation",
        "col_column": "Column", "col_unexpected": "Unexpected", "col_elements": "Rows checked",
        "col_percent": "Unexpected share", "col_samples": "Sample values (masked)",
        "quarantine": "Quarantined rows",
        "quarantine_note": "Rows that could not be used, by rule and by file; a quarantined row is resolved once a "
                           "later delivery brings a valid row with the same business key.",
        "by_rule": "By rule", "by_file": "By file", "col_kind": "Export kind", "col_rule": "Rule", "col_stage": "Stage",
        "col_file": "File", "col_unresolved": "Unresolved", "col_resolved": "Resolved", "col_rows": "Total",
        "stage_ingest": "Reading", "stage_staging": "Cleaning",
        "scorecard": "Quality scorecard",
        "scorecard_note": "Score of each source system on each dimension, as a percentage. Green ≥ {good}, amber ≥ "
                          "{warn}, red below {warn}; empty where there is nothing to measure.",
        "col_source": "Source", "age": "newest record {days} days before the as-of date",
        "reconciliation": "Row reconciliation",
        "reconciliation_note": "Per export kind: rows read = rows staged + rows quarantined + duplicates collapsed.",
        "col_read": "Rows read", "col_staged": "Staged", "col_quarantined": "Quarantined",
        "col_duplicates": "Duplicates collapsed", "col_duplicate_delivery": "Duplicate-delivery rows",
        "col_superseded": "Superseded rows", "col_repeated": "Repeated-key rows", "col_balanced": "Balanced",
        "yes": "Yes", "no": "No",
        "rejections": "Rejected files", "no_rejections": "No rejected files.",
        "col_error": "Reason", "col_rejected_at": "Rejected at",
        "load_log": "Load log", "load_log_note": "raw.load_log by export kind.",
        "col_files": "Files loaded", "col_duplicate_files": "Duplicate deliveries", "col_rows_read": "Rows read",
        "col_unmapped": "Files with unrecognised columns", "col_last_loaded": "Last loaded",
        "no_data": "No data yet.", "limited": "Showing the first {shown} of {total} rows.",
    },
}


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
