"""The management report (客户管理汇报): figures, page rendering and the Dagster asset publishing it."""

from datetime import date, datetime
from typing import Any

import duckdb
import plotly.graph_objects as go
from dagster import AssetExecutionContext, AssetKey, MaterializeResult
from plotly.subplots import make_subplots

from assets.common.resources import PipelineSettings, Warehouse
from assets.ingest.asset import RAW_ASSETS
from assets.staging.asset import STAGING_ASSETS
from reports.common.charts import PALETTE, chart_html, label, plotly_script
from reports.common.formatting import Formatter
from reports.common.outcome import build_report, report_asset
from reports.common.page import page_context
from reports.common.prediction_status import CHURN_MODELS, CHURN_SCORES, CLV, is_failed, notices, prediction_statuses
from reports.common.rendering import template_environment
from reports.common.shareable import shareable_text
from reports.common.wording import LANGUAGES
from reports.management import data, text

STEM = "management"
STAGE_COLOURS = {"potential": "#7a8699", "new": "#2bb3c0", "active": "#2f6fde", "loyal": "#3aa876",
                 "at_risk": "#f08c2e", "reactivated": "#8e6bd8", "churned": "#d64545", "none": "#b8c2cc"}
RISK_COLOURS = {"high": "#d64545", "medium": "#f08c2e", "low": "#3aa876"}


def _months(fmt: Formatter, points: list[tuple[date, Any]]) -> list[str]:
    return [fmt.month(m) for m, _ in points]


def _values(points: list[tuple[date, Any]], digits: int = 6) -> list[float | None]:
    return [None if v is None else round(float(v), digits) for _, v in points]


# --- figures: each returns None when there is nothing to draw ---------------------------------------------

def revenue_trend_figure(fmt: Formatter, series: dict[str, list]) -> go.Figure | None:
    revenue, active = series.get("revenue") or [], series.get("active_customers") or []
    if not revenue:
        return None
    t = text.LABELS[fmt.language]
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    fig.add_trace(go.Bar(x=_months(fmt, revenue), y=_values(revenue, 2), name=t["revenue_axis"],
                         marker_color=PALETTE[0]), secondary_y=False)
    if active:
        fig.add_trace(go.Scatter(x=_months(fmt, active), y=_values(active), name=t["active_customers"],
                                 mode="lines+markers", line={"color": PALETTE[1]}), secondary_y=True)
    fig.update_yaxes(title_text=f"{t['revenue_axis']} ({fmt.currency_symbol})", secondary_y=False)
    fig.update_yaxes(title_text=t["active_customers"], secondary_y=True, showgrid=False, rangemode="tozero",
                     tickmode="auto", nticks=6)
    fig.update_layout(legend={"orientation": "h", "y": 1.12}, xaxis={"type": "category"})
    return fig


def value_tier_figure(fmt: Formatter, tiers: list[dict]) -> go.Figure | None:
    if not tiers:
        return None
    t = text.LABELS[fmt.language]
    names = [label(text.value_tier_label(fmt.language, r["value_tier"], r["value_tier_zh"])) for r in tiers]
    fig = go.Figure()
    for key, name, colour in (("customer_share", t["customer_share"], PALETTE[5]),
                              ("revenue_share", t["revenue_share"], PALETTE[0])):
        values = [round(float(r[key]), 6) for r in tiers]
        fig.add_trace(go.Bar(x=names, y=values, name=name, marker_color=colour,
                             text=[fmt.percent(v) for v in values], textposition="outside"))
    fig.update_layout(barmode="group", yaxis={"title": t["share_axis"], "tickformat": ".0%", "rangemode": "tozero"},
                      legend={"orientation": "h", "y": 1.12})
    return fig


def rfm_segment_figure(fmt: Formatter, segments: list[dict]) -> go.Figure | None:
    if not segments:
        return None
    t = text.LABELS[fmt.language]
    names = [label(r["segment_zh"] if fmt.language == "zh" and r["segment_zh"] else r["segment"]) for r in segments]
    shares = [fmt.percent(r["revenue_share"]) for r in segments]
    caption = "营收占比" if fmt.language == "zh" else "of revenue"
    fig = go.Figure(go.Bar(
        y=names[::-1], x=[int(r["customers"]) for r in segments][::-1], orientation="h", marker_color=PALETTE[0],
        text=[f"{s} {caption}" if fmt.language == "en" else f"{caption} {s}" for s in shares][::-1],
        textposition="auto", name=t["customers"]))
    fig.update_layout(xaxis={"title": t["customers"]}, margin={"l": 160}, showlegend=False)
    return fig


def lifecycle_stage_figure(fmt: Formatter, stages: list[dict]) -> go.Figure | None:
    if not stages:
        return None
    t = text.LABELS[fmt.language]
    fig = go.Figure(go.Bar(
        x=[label(text.stage_label(fmt.language, r["stage"], r["stage_zh"])) for r in stages],
        y=[int(r["customers"]) for r in stages],
        marker_color=[STAGE_COLOURS.get(r["stage"], PALETTE[5]) for r in stages],
        text=[fmt.number(r["customers"]) for r in stages], textposition="outside"))
    fig.update_layout(yaxis={"title": t["customers"], "rangemode": "tozero"}, showlegend=False)
    return fig


def _rgba(hex_colour: str, alpha: float) -> str:
    r, g, b = (int(hex_colour[i:i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r},{g},{b},{alpha})"


def lifecycle_flow_figure(fmt: Formatter, flows: dict) -> go.Figure | None:
    """Sankey of the latest month's stage transitions: earlier stages on the left, current on the right."""
    if not flows["flows"]:
        return None
    order = {s: i for i, s in enumerate(("none", *data.LIFECYCLE_ORDER))}

    def key(stage: str) -> tuple:
        return order.get(stage, 99), stage

    left = sorted({(f["from_stage"], f["from_stage_zh"]) for f in flows["flows"]}, key=lambda s: key(s[0]))
    right = sorted({(f["to_stage"], f["to_stage_zh"]) for f in flows["flows"]}, key=lambda s: key(s[0]))
    index_left = {s: i for i, (s, _) in enumerate(left)}
    index_right = {s: len(left) + i for i, (s, _) in enumerate(right)}
    nodes = [label(text.stage_label(fmt.language, s, zh)) for s, zh in left + right]
    colours = [STAGE_COLOURS.get(s, PALETTE[5]) for s, _ in left + right]
    fig = go.Figure(go.Sankey(
        arrangement="fixed",
        node={"label": nodes, "color": colours, "pad": 14, "thickness": 16},
        link={"source": [index_left[f["from_stage"]] for f in flows["flows"]],
              "target": [index_right[f["to_stage"]] for f in flows["flows"]],
              "value": [int(f["customers"]) for f in flows["flows"]],
              "color": [_rgba(STAGE_COLOURS.get(f["from_stage"], PALETTE[5]), 0.35) for f in flows["flows"]]},
    ))
    fig.update_layout(margin={"l": 20, "r": 20, "t": 20, "b": 20})
    return fig


def cohort_figure(fmt: Formatter, cohorts: dict) -> go.Figure | None:
    if not cohorts["cohorts"]:
        return None
    t = text.LABELS[fmt.language]
    z = [[None if v is None else round(v, 4) for v in row] for row in cohorts["retention"]]
    later = [v for row in z for v in row[1:] if v is not None]
    names = [f"{fmt.month(c)} ({fmt.number(n)})" for c, n in zip(cohorts["cohorts"], cohorts["sizes"], strict=True)]
    cell_text = [["" if v is None else fmt.percent(v, 0) for v in row] for row in z]
    fig = go.Figure(go.Heatmap(
        z=z, x=[str(m) for m in cohorts["months_since"]], y=names, text=cell_text, texttemplate="%{text}",
        colorscale="Blues", zmin=0, zmax=max(later) if later else 1, hoverongaps=False,
        colorbar={"title": t["retention"], "tickformat": ".0%"}))
    fig.update_layout(xaxis={"title": t["months_since"], "side": "top"},
                      yaxis={"title": t["cohort"], "autorange": "reversed"}, margin={"l": 150, "t": 70})
    return fig


def risk_tier_figure(fmt: Formatter, tiers: list[dict]) -> go.Figure | None:
    if not tiers:
        return None
    t = text.LABELS[fmt.language]
    names = [text.risk_label(fmt.language, r["risk_tier"]) for r in tiers]
    colours = [RISK_COLOURS.get(r["risk_tier"], PALETTE[5]) for r in tiers]
    fig = make_subplots(rows=1, cols=2,
                        subplot_titles=(t["customers"], f"{t['value_at_risk']} ({fmt.currency_symbol})"))
    fig.add_trace(go.Bar(x=names, y=[int(r["customers"]) for r in tiers], marker_color=colours,
                         text=[fmt.number(r["customers"]) for r in tiers], textposition="outside"), row=1, col=1)
    fig.add_trace(go.Bar(x=names, y=[round(float(r["value_at_risk"]), 2) for r in tiers], marker_color=colours,
                         text=[fmt.money_short(r["value_at_risk"]) for r in tiers], textposition="outside"),
                  row=1, col=2)
    fig.update_layout(showlegend=False)
    fig.update_yaxes(rangemode="tozero")
    return fig


def edge_label(fmt: Formatter, value: float) -> str:
    """A round bucket edge written compactly: 500, 1k, 20k, 1M (en); 500, 1000, 2万, 100万 (zh)."""
    units = (("亿", 1e8), ("万", 1e4)) if fmt.language == "zh" else (("M", 1e6), ("k", 1e3))
    for unit, size in units:
        if value >= size:
            return f"{value / size:g}{unit}"
    return f"{value:g}"


def clv_histogram_figure(fmt: Formatter, histogram: dict) -> go.Figure | None:
    buckets = histogram["buckets"]
    if not buckets:
        return None
    t = text.LABELS[fmt.language]

    names = [f"{fmt.currency_symbol}{edge_label(fmt, b['low'])}–{edge_label(fmt, b['high'])}" for b in buckets]
    fig = go.Figure(go.Bar(
        x=names, y=[b["customers"] for b in buckets], marker_color=PALETTE[4],
        customdata=[fmt.money_short(b["clv_12m"]) for b in buckets],
        hovertemplate="%{x}<br>%{y}<br>%{customdata}<extra></extra>"))
    fig.update_layout(xaxis={"title": t["clv_bucket"], "type": "category"}, yaxis={"title": t["customers"]},
                      showlegend=False)
    return fig


def calibration_figure(fmt: Formatter, deciles: list[dict]) -> go.Figure | None:
    if not deciles:
        return None
    t = text.LABELS[fmt.language]
    x = [int(r["decile"]) for r in deciles]
    fig = go.Figure()
    fig.add_trace(go.Bar(x=x, y=[round(float(r["actual_churn_rate"]), 6) for r in deciles], name=t["actual_churn"],
                         marker_color=PALETTE[3]))
    fig.add_trace(go.Scatter(x=x, y=[round(float(r["mean_predicted"]), 6) for r in deciles],
                             name=t["predicted_churn"], mode="lines+markers", line={"color": PALETTE[0]}))
    fig.update_layout(xaxis={"title": t["decile"], "dtick": 1}, yaxis={"tickformat": ".0%", "range": [0, 1]},
                      legend={"orientation": "h", "y": 1.12})
    return fig


def forecast_figure(fmt: Formatter, rows: list[dict]) -> go.Figure | None:
    buckets = [r for r in rows if r["frequency_bucket"] != "all"]
    if not buckets:
        return None
    t = text.LABELS[fmt.language]
    x = [label(r["frequency_bucket"]) for r in buckets]
    fig = go.Figure()
    fig.add_trace(go.Bar(x=x, y=[round(float(r["predicted_purchases"]), 2) for r in buckets],
                         name=t["predicted_purchases"], marker_color=PALETTE[0]))
    fig.add_trace(go.Bar(x=x, y=[int(r["actual_purchases"]) for r in buckets], name=t["actual_purchases"],
                         marker_color=PALETTE[1]))
    fig.update_layout(barmode="group", xaxis={"title": t["repeat_purchases"], "type": "category"},
                      yaxis={"title": t["purchases"]}, legend={"orientation": "h", "y": 1.12})
    return fig


def _two_line_figure(fmt: Formatter, left: list, right: list, left_name: str, right_name: str,
                     left_axis: dict, right_axis: dict) -> go.Figure | None:
    if not left and not right:
        return None
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    if left:
        fig.add_trace(go.Scatter(x=_months(fmt, left), y=_values(left), name=left_name, mode="lines+markers",
                                 line={"color": PALETTE[0]}, connectgaps=False), secondary_y=False)
    if right:
        fig.add_trace(go.Scatter(x=_months(fmt, right), y=_values(right), name=right_name, mode="lines+markers",
                                 line={"color": PALETTE[1]}, connectgaps=False), secondary_y=True)
    fig.update_yaxes(title_text=left_name, secondary_y=False, **left_axis)
    fig.update_yaxes(title_text=right_name, secondary_y=True, showgrid=False, tickmode="auto", nticks=6, **right_axis)
    fig.update_layout(xaxis={"type": "category"}, legend={"orientation": "h", "y": 1.12})
    return fig


def csat_nps_figure(fmt: Formatter, series: dict) -> go.Figure | None:
    t = text.LABELS[fmt.language]
    return _two_line_figure(fmt, series.get("csat") or [], series.get("nps") or [], t["csat"], t["nps"],
                            {"range": [1, 5]}, {"range": [-100, 100]})


def service_times_figure(fmt: Formatter, series: dict) -> go.Figure | None:
    t = text.LABELS[fmt.language]
    return _two_line_figure(fmt, series.get("median_first_response_hours") or [],
                            series.get("median_resolution_hours") or [], t["first_response"], t["resolution"],
                            {"rangemode": "tozero"}, {"rangemode": "tozero"})


def email_figure(fmt: Formatter, series: dict) -> go.Figure | None:
    open_rate, click_rate = series.get("email_open_rate") or [], series.get("email_click_rate") or []
    if not open_rate and not click_rate:
        return None
    t = text.LABELS[fmt.language]
    fig = go.Figure()
    for points, name, colour in ((open_rate, t["open_rate"], PALETTE[0]), (click_rate, t["click_rate"], PALETTE[2])):
        if points:
            fig.add_trace(go.Scatter(x=_months(fmt, points), y=_values(points), name=name, mode="lines+markers",
                                     line={"color": colour}))
    fig.update_layout(xaxis={"type": "category"}, yaxis={"tickformat": ".0%", "rangemode": "tozero"},
                      legend={"orientation": "h", "y": 1.12})
    return fig


def complaint_figure(fmt: Formatter, complaints: dict) -> go.Figure | None:
    categories = complaints["categories"]
    if not categories:
        return None
    t = text.LABELS[fmt.language]
    names = [label(r["category"] or "—") for r in categories]
    counts = [int(r["complaints"]) for r in categories]
    if complaints.get("other_complaints"):
        names.append(t["other"])
        counts.append(int(complaints["other_complaints"]))
    fig = go.Figure(go.Bar(
        y=names[::-1], x=counts[::-1], orientation="h", marker_color=PALETTE[3],
        text=[fmt.number(c) for c in counts][::-1], textposition="auto"))
    fig.update_layout(xaxis={"title": t["complaints"]}, margin={"l": 160}, showlegend=False)
    return fig


# Chart ids, the figure builder and the height of each chart, in page order.
CHART_IDS = ("mgmt-revenue-trend", "mgmt-value-tiers", "mgmt-rfm-segments", "mgmt-lifecycle-stages",
             "mgmt-lifecycle-flow", "mgmt-cohort-retention", "mgmt-risk-tiers", "mgmt-clv-histogram",
             "mgmt-churn-calibration", "mgmt-purchase-forecast", "mgmt-csat-nps", "mgmt-complaint-categories",
             "mgmt-service-times", "mgmt-email-engagement")


# --- the page --------------------------------------------------------------------------------------------

def _settings_value(thresholds: dict, section: str, key: str, default: Any) -> Any:
    return (thresholds.get(section) or {}).get(key, default)


def collect(conn: duckdb.DuckDBPyConnection, as_of: date, thresholds: dict) -> dict[str, Any]:
    """Every figure of the report, language-independent (all aggregated in SQL)."""
    segment_order = [s["name"] for s in _settings_value(thresholds, "rfm", "segments", []) or []]
    month = data.latest_complete_month(conn, as_of)
    quarantine = data.quarantine_counts(conn)
    return {
        "month": month,
        "definitions": data.kpi_definitions(conn),
        "snapshot": data.kpi_snapshot(conn, month),
        "series": data.kpi_series(conn, month),
        "risk": data.risk_totals(conn),
        "sources": data.source_loads(conn),
        "core": data.core_row_counts(conn),
        "quality": data.quality_scores(conn),
        "quarantine": quarantine,
        "quarantined_rows": sum(int(r["rows"]) for r in quarantine),
        "value_tiers": data.value_tiers(conn),
        "segments": data.rfm_segments(conn, segment_order),
        "clusters": data.cluster_profiles(conn),
        "lifecycle": data.lifecycle_current(conn),
        "flows": data.lifecycle_flows(conn),
        "cohorts": data.cohort_matrix(conn, as_of),
        "risk_tiers": data.risk_tiers(conn),
        "clv": data.clv_histogram(conn),
        "models": data.churn_models(conn),
        "calibration": data.churn_calibration(conn),
        "forecast": data.purchase_forecast(conn),
        "complaints": data.complaint_categories(conn, as_of),
        "strategy": data.segment_strategy(conn, segment_order),
        "lists": data.action_lists(conn),
        "lift": data.action_lift(conn),
        "statuses": prediction_statuses(conn),
    }


def _cards(fmt: Formatter, figures: dict) -> list[dict[str, Any]]:
    t = text.LABELS[fmt.language]
    cards = []
    for kpi in data.CARD_KPIS:
        definition = figures["definitions"].get(kpi)
        if definition is None:
            continue
        row = figures["snapshot"].get(kpi) or {}
        unit = definition["unit"]
        changes = []
        for name, change_key, relative_key in (
            (t["vs_previous"], "change_vs_previous_month", "relative_change_vs_previous_month"),
            (t["vs_last_year"], "change_vs_last_year", "relative_change_vs_last_year"),
        ):
            way = text.direction(kpi, unit, row.get(change_key), row.get(relative_key))
            good = None if way in (None, "flat") else ((way == "down") == (kpi in text.LOWER_IS_BETTER))
            changes.append({"label": name, "text": text.signed_change(fmt, kpi, unit, row.get(change_key),
                                                                      row.get(relative_key)),
                            "css": "" if good is None else ("up" if good else "down")})
        cards.append({"kpi": kpi, "label": definition[f"label_{fmt.language}"],
                      "value": text.kpi_value_text(fmt, kpi, unit, row.get("value")),
                      "missing": row.get("value") is None, "changes": changes})
    return cards


def _lift_rows(fmt: Formatter, figures: dict) -> list[dict[str, Any]]:
    t = text.LABELS[fmt.language]
    labels = {r["main_action"]: r[f"main_action_{fmt.language}"] for r in figures["strategy"] if r["main_action"]}
    rows = []
    for r in figures["lift"]["complete"]:
        action = t["all_actions"] if r["assigned_action"] == "all" else labels.get(r["assigned_action"],
                                                                                   r["assigned_action"])
        ci = ("" if r["lift_ci_low"] is None
              else f"{fmt.points(r['lift_ci_low'])} … {fmt.points(r['lift_ci_high'])}")
        rows.append({"action": action, "treated": fmt.number(r["treated_customers"]),
                     "control": fmt.number(r["control_customers"]),
                     "treated_retention": fmt.percent(r["treated_retention"]),
                     "control_retention": fmt.percent(r["control_retention"]),
                     "lift": fmt.points(r["lift"]), "ci": ci})
    return rows


def _strategy_rows(fmt: Formatter, figures: dict, population_days: int,
                   scores_available: bool = True) -> list[dict[str, Any]]:
    t = text.LABELS[fmt.language]
    measured = {r["assigned_action"]: r for r in figures["lift"]["complete"]}
    rows = []
    for r in figures["strategy"]:
        if r["segment"] is None:
            name = t["prospects"]
        else:
            name = r["segment_zh"] if fmt.language == "zh" and r["segment_zh"] else r["segment"]
        action = r[f"main_action_{fmt.language}"] or r["main_action"] or t["no_action"]
        if r["main_action"] and r["main_action"] in measured:
            lift = fmt.points(measured[r["main_action"]]["lift"])
        elif r["main_action"]:
            lift = t["not_measured"]
        else:
            lift = "—"
        rows.append({"segment": name, "customers": fmt.number(r["customers"]),
                     "revenue": fmt.money_short(r["revenue"]), "clv": fmt.money_short(r["clv_12m"]),
                     "finding": text.segment_finding(fmt, r, population_days, scores_available),
                     "on_list": fmt.number(r["on_list"]), "action": action, "lift": lift})
    return rows


def page_variables(figures: dict, language: str, as_of: date, currency_symbol: str,
                   thresholds: dict) -> dict[str, Any]:
    """Everything the template needs in one language, charts rendered."""
    fmt = Formatter(language, currency_symbol)
    t = text.LABELS[language]
    month, snapshot, series, risk = figures["month"], figures["snapshot"], figures["series"], figures["risk"]
    found = notices(figures["statuses"], language)
    section_notices = {"churn": found[CHURN_SCORES], "models": found[CHURN_MODELS], "clv": found[CLV]}
    churn_failed = is_failed(section_notices["churn"])
    builders = {
        "mgmt-revenue-trend": (revenue_trend_figure, series, 380),
        "mgmt-value-tiers": (value_tier_figure, figures["value_tiers"], 340),
        "mgmt-rfm-segments": (rfm_segment_figure, figures["segments"], 420),
        "mgmt-lifecycle-stages": (lifecycle_stage_figure, figures["lifecycle"], 340),
        "mgmt-lifecycle-flow": (lifecycle_flow_figure, figures["flows"], 460),
        "mgmt-cohort-retention": (cohort_figure, figures["cohorts"], 480),
        "mgmt-risk-tiers": (risk_tier_figure, figures["risk_tiers"], 340),
        "mgmt-clv-histogram": (clv_histogram_figure, figures["clv"], 360),
        "mgmt-churn-calibration": (calibration_figure, figures["calibration"], 360),
        "mgmt-purchase-forecast": (forecast_figure, figures["forecast"], 360),
        "mgmt-csat-nps": (csat_nps_figure, series, 360),
        "mgmt-complaint-categories": (complaint_figure, figures["complaints"],
                                      max(180, 136 + 36 * len(figures["complaints"]["categories"]))),
        "mgmt-service-times": (service_times_figure, series, 360),
        "mgmt-email-engagement": (email_figure, series, 340),
    }
    charts = {}
    for chart_id in CHART_IDS:
        build, source, height = builders[chart_id]
        fig = build(fmt, source)
        charts[chart_id] = None if fig is None else chart_html(fig, chart_id, height)
    population_days = _settings_value(thresholds, "churn", "population_days", 365)
    horizon = _settings_value(thresholds, "churn", "horizon_days", 90)
    evaluation_days = int(_settings_value(thresholds, "actions", "evaluation_days", horizon))
    complaints = figures["complaints"]
    clv = figures["clv"]
    calibration = figures["calibration"]
    forecast = figures["forecast"]
    return {
        "t": t,
        "sections": text.SECTIONS[language],
        "sub": text.SUBSECTIONS[language],
        "charts": charts,
        "has_charts": any(charts.values()),
        "plotly_js": plotly_script() if any(charts.values()) else "",
        "month_text": fmt.month(month) if month else None,
        "cards": _cards(fmt, figures),
        "summary": text.executive_summary(
            fmt, month, snapshot, risk.scored_customers if risk else 0, risk.high_risk_customers if risk else 0,
            risk.high_risk_value_at_risk if risk else None, risk.value_at_risk if risk else None,
            figures["quality"]["overall"], figures["quarantined_rows"],
            section_notices["churn"] and f"{section_notices['churn'].subject} {section_notices['churn'].text}",
            churn_failed),
        "sources": [{"kind": r["kind"], "source": text.source_label(language, r["source"]),
                     "files": fmt.number(r["files"]), "rows_read": fmt.number(r["rows_read"]),
                     "duplicates": fmt.number(r["duplicates"]), "rejected": fmt.number(r["rejected_files"])}
                    for r in figures["sources"]],
        "core": [{"table": r["table"], "rows": fmt.number(r["rows"])} for r in figures["core"]],
        "quality_overall": fmt.percent(figures["quality"]["overall"]),
        "quality_sources": [{"source": text.source_label(language, r["source"]), "score": fmt.percent(r["score"])}
                            for r in figures["quality"]["sources"]],
        "quarantine": [{"kind": r["kind"], "rows": fmt.number(r["rows"]), "breaches": fmt.number(r["breaches"]),
                        "top_rule": shareable_text(r["top_rule"])} for r in figures["quarantine"]],
        "value_tiers": [{"tier": text.value_tier_label(language, r["value_tier"], r["value_tier_zh"]),
                         "customers": fmt.number(r["customers"]), "customer_share": fmt.percent(r["customer_share"]),
                         "revenue": fmt.money_short(r["revenue"]), "revenue_share": fmt.percent(r["revenue_share"])}
                        for r in figures["value_tiers"]],
        "clusters": [{"name": r["cluster_name_zh"] if language == "zh" else r["cluster_name"],
                      "traits": r["traits_zh"] if language == "zh" else r["traits"],
                      "customers": fmt.number(r["customers"]), "share": fmt.percent(r["share"]),
                      "mean_revenue": fmt.money(r["mean_revenue"]), "mean_orders": fmt.number(r["mean_orders"], 1),
                      "mean_recency": fmt.number(r["mean_recency_days"])} for r in figures["clusters"]],
        "flow_note": (t["flow_note"].format(start=fmt.date(figures["flows"]["from_date"]),
                                            end=fmt.date(figures["flows"]["to_date"]))
                      if figures["flows"]["flows"] else ""),
        "cohort_note": (t["cohort_note"].format(n=len(figures["cohorts"]["cohorts"]))
                        if figures["cohorts"]["cohorts"] else ""),
        "risk_tiers": [{"tier": text.risk_label(language, r["risk_tier"]), "customers": fmt.number(r["customers"]),
                        "mean_probability": fmt.percent(r["mean_probability"]),
                        "clv": fmt.money_short(r["clv_12m"]), "value_at_risk": fmt.money_short(r["value_at_risk"])}
                       for r in figures["risk_tiers"]],
        "clv_note": (t["clv_note"].format(n=fmt.number(clv["customers"]), total=fmt.money_short(clv["total"]),
                                          median=fmt.money(clv["median"])) if clv["buckets"] else ""),
        # With no evaluated model the recorded status notice already says why: no second, vaguer sentence.
        "model_sentences": [] if section_notices["models"] and not figures["models"] else text.churn_model_sentences(
            fmt, figures["models"], _settings_value(thresholds, "churn", "selection_metric", "roc_auc")),
        "metric_names": [text.METRICS[language][m] for m in data.METRIC_ORDER],
        "models": [{"name": text.model_label(language, m["model"]),
                    "shipped": t["yes"] if m["is_shipped"] else t["no"],
                    "baseline": t["yes"] if m["is_baseline"] else t["no"],
                    "metrics": [fmt.number(m["metrics"].get(k), 3) for k in data.METRIC_ORDER],
                    "status": shareable_text(m["status"])} for m in figures["models"]],
        "calibration_note": t["calibration_note"] if calibration else "",
        "forecast_note": (t["forecast_note"].format(cutoff=fmt.date(forecast[0]["cutoff"]),
                                                    end=fmt.date(forecast[0]["window_end"])) if forecast else ""),
        "complaint_note": (t["complaint_note"].format(
            tickets=fmt.number(complaints["tickets"]), complaints=fmt.number(complaints["complaints"]),
            share=fmt.percent(complaints["complaints"] / complaints["tickets"])) if complaints["tickets"] else ""),
        # Nobody scored (the scoring failed, or was not run) is not the same as "already lapsed".
        "strategy": _strategy_rows(fmt, figures, population_days,
                                   scores_available=not churn_failed and risk is not None),
        "notices": section_notices,
        "failed": {name: is_failed(notice) for name, notice in section_notices.items()},
        "lift_sentence": text.lift_sentence(fmt, figures["lift"], figures["lists"]["first"], evaluation_days),
        "lift_rows": _lift_rows(fmt, figures),
        "methodology": text.methodology(fmt, thresholds),
    }


def render_management_pages(conn: duckdb.DuckDBPyConnection, as_of: date, generated_at: datetime,
                            currency_symbol: str, thresholds: dict) -> dict[str, str]:
    """The management report's HTML in each language: {"zh": html, "en": html}, with the run's
    business rules (``thresholds``). Only SELECTs are run."""
    figures = collect(conn, as_of, thresholds)
    template = template_environment().get_template("management.html.j2")
    pages = {}
    for language in LANGUAGES:
        context = page_context(STEM, language, as_of, generated_at, currency_symbol)
        pages[language] = template.render(**context, **page_variables(figures, language, as_of, currency_symbol,
                                                                      thresholds))
    return pages


TABLES_READ = (
    ("analytics", "kpis_monthly"), ("analytics", "kpi_definitions"), ("analytics", "rfm"),
    ("analytics", "cluster_profiles"), ("analytics", "lifecycle"), ("analytics", "lifecycle_transitions"),
    ("analytics", "cohort_retention"), ("analytics", "clv"), ("analytics", "churn_scores"),
    ("analytics", "churn_model_metrics"), ("analytics", "churn_calibration"),
    ("analytics", "purchase_forecast_accuracy"), ("analytics", "next_best_actions"),
    ("analytics", "action_list_history"), ("analytics", "action_lift"), ("quality", "scorecard"),
    *(("core", name) for name in data.CORE_TABLES),
)


@report_asset(
    STEM,
    kinds={"html", "plotly"},
    shows_predictions=True,
    # raw.load_log is written by the raw assets, quality.quarantine by raw and staging assets.
    deps=[AssetKey(list(key)) for key in TABLES_READ]
    + [key for assets_def in [*RAW_ASSETS, *STAGING_ASSETS] for key in assets_def.keys],
)
def management_report(
    context: AssetExecutionContext, warehouse: Warehouse, settings: PipelineSettings
) -> MaterializeResult:
    """客户管理汇报 / Customer management report: `<reports dir>/<as_of>/management.html` (default
    language), `management.zh.html` and `management.en.html`, copied to `latest/`. A self-contained page
    (opens offline) written like an analyst's report:

    1. Executive summary: KPI cards of the last complete month (customers, active customers, revenue,
       average order value, repurchase rate, retention, CSAT, NPS) with the change on the previous month
       and on the same month last year, a revenue trend, and sentences computed from the figures
       (revenue and its changes, customers, retention, high-risk customers and value at risk, service
       scores, data quality).
    2. Data collection and quality: files and rows loaded per export, core table row counts, the
       scorecard's overall score per source, unresolved quarantined rows per export.
    3. Customer analysis: value tiers, RFM segments, behaviour clusters, lifecycle stages and the last
       month's flows between stages (Sankey), retention of the last 12 first-purchase cohorts.
    4. Churn and value: risk tiers with value at risk, the 12-month CLV distribution (bucket counts),
       the churn models' backtest metrics (and whether a simple baseline beat machine learning),
       calibration deciles and the purchase forecast against what happened.
    5. Service and engagement: CSAT/NPS trend, complaint categories (last 12 months), median response
       and resolution times, e-mail open and click rates. A source not exported reads "no data".
    6. Strategy: per RFM segment its size, revenue, CLV, high-risk share, the playbook action given
       most often and its last measured lift; the lift of the latest fully measured action list.
    7. Methodology: definitions with the numbers of the settings file.

    Everything is aggregated in SQL (no per-customer data on the page, no contact details)."""
    return build_report(context, STEM, warehouse, settings, render_management_pages)
