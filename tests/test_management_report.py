"""The management report (客户管理汇报): sentences and figures on hand-made inputs, and whole pages on a
generated 300-customer warehouse and on a sales-only one (both built once per module)."""

import re
import shutil
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import pytest

from assets.common.settings import PathSettings, load_thresholds
from assets.common.status import AssetStatus, failure_status, record_status
from pipelines.tools.sample_data import generate
from reports.common.charts import plotly_script
from reports.common.formatting import Formatter
from reports.common.prediction_status import SUBJECTS
from reports.common.publish import generation_time
from reports.management import data, text
from reports.management.asset import CHART_IDS, render_management_pages
from tests.conftest import materialize_all, paths_under
from tests.inbox_builders import minimal_sales_inbox
from tests.report_fixtures import absolute_paths, placeholders

EPOCH = "1767225600"  # 2026-01-01 00:00 UTC
GENERATED_AT = datetime(2026, 7, 1, 8, 0, tzinfo=UTC)
THRESHOLDS = load_thresholds()
ZH, EN = Formatter("zh", "¥"), Formatter("en", "¥")
JUNE = date(2026, 6, 1)
XSS = "<script>alert(1)</script>"


# --- sentences on hand-made inputs ------------------------------------------------------------------

def kpi_row(value, previous=None, last_year=None, ratio=False):
    """A kpis_monthly row as the data layer returns it."""
    def changes(earlier):
        if earlier is None:
            return None, None
        return value - earlier, (None if ratio or earlier == 0 else value / earlier - 1)

    change_prev, relative_prev = changes(previous)
    change_ly, relative_ly = changes(last_year)
    return {"value": value, "previous_month_value": previous, "change_vs_previous_month": change_prev,
            "relative_change_vs_previous_month": relative_prev, "same_month_last_year_value": last_year,
            "change_vs_last_year": change_ly, "relative_change_vs_last_year": relative_ly}


@pytest.mark.parametrize(("row", "zh", "en"), [
    (kpi_row(1_203_000, 1_110_803.32, 1_074_107.14),
     "2026年6月营收 ¥120.3万，环比增长 8.3%，同比增长 12.0%。",
     "Revenue in June 2026 was ¥1.2M, up 8.3% on May and 12.0% on June 2025."),
    (kpi_row(900_000, 1_000_000, 800_000),
     "2026年6月营收 ¥90.0万，环比下降 10.0%，同比增长 12.5%。",
     "Revenue in June 2026 was ¥900.0k, down 10.0% on May but up 12.5% on June 2025."),
    (kpi_row(500_000, 500_100, None),
     "2026年6月营收 ¥50.0万，环比持平。",
     "Revenue in June 2026 was ¥500.0k, unchanged on May."),
    (kpi_row(500_000, None, 400_000),
     "2026年6月营收 ¥50.0万，同比增长 25.0%。",
     "Revenue in June 2026 was ¥500.0k, up 25.0% on June 2025."),
    (kpi_row(12_345, None, None),
     "2026年6月营收 ¥1.2万（暂无可比月份）。",
     "Revenue in June 2026 was ¥12.3k (no earlier month to compare with)."),
    (kpi_row(800, 1000, 1000),
     "2026年6月营收 ¥800，环比下降 20.0%，同比下降 20.0%。",
     "Revenue in June 2026 was ¥800, down 20.0% on May and 20.0% on June 2025."),
])
def test_revenue_sentence_up_down_flat_missing(row, zh, en):
    assert text.revenue_sentence(ZH, JUNE, row) == zh
    assert text.revenue_sentence(EN, JUNE, row) == en


def test_revenue_sentence_without_revenue_is_left_out():
    assert text.revenue_sentence(EN, JUNE, None) is None
    assert text.revenue_sentence(ZH, JUNE, kpi_row(None)) is None


def test_january_compares_with_december_of_the_year_before():
    row = kpi_row(110.0, 100.0, None)
    assert text.comparison_clause(EN, "revenue", "CNY", date(2026, 1, 1), row) == "up 10.0% on December 2025"
    assert text.comparison_clause(ZH, "revenue", "CNY", date(2026, 1, 1), row) == "环比增长 10.0%"


def test_ratios_move_in_percentage_points_and_scores_in_their_unit():
    retention = kpi_row(0.59, 0.458, 0.616, ratio=True)
    assert text.comparison_clause(EN, "retention_rate", "ratio", JUNE, retention) == \
        "up 13.2 pp on May but down 2.6 pp on June 2025"
    assert text.comparison_clause(ZH, "retention_rate", "ratio", JUNE, retention) == \
        "环比上升 13.2 个百分点，同比下降 2.6 个百分点"
    csat = kpi_row(4.05, 4.1333, 4.05, ratio=True)
    assert text.comparison_clause(EN, "csat", "score", JUNE, csat) == "down 0.08 on May and unchanged on June 2025"
    assert text.signed_change(ZH, "csat", "score", csat["change_vs_previous_month"], None) == "-0.08"
    assert text.signed_change(EN, "retention_rate", "ratio", 0.132, None) == "+13.2 pp"
    assert text.signed_change(ZH, "retention_rate", "ratio", 0.132, None) == "+13.2个百分点"
    assert text.signed_change(EN, "revenue", "CNY", 100, 0.0834) == "+8.3%"
    assert text.signed_change(EN, "revenue", "CNY", None, None) == "—"


def test_direction_and_card_values():
    assert text.direction("revenue", "CNY", 1, 0.0004) == "flat"
    assert text.direction("revenue", "CNY", 1, 0.0006) == "up"
    assert text.direction("nps", "score", -0.06, None) == "down"
    assert text.direction("nps", "score", -0.04, None) == "flat"
    assert text.direction("revenue", "CNY", None, None) is None
    assert text.kpi_value_text(ZH, "revenue", "CNY", 1_298_682.75) == "¥129.9万"
    assert text.kpi_value_text(EN, "revenue", "CNY", 1_298_682.75) == "¥1.3M"
    assert text.kpi_value_text(EN, "average_order_value", "CNY", 1367.03) == "¥1,367"
    assert text.kpi_value_text(EN, "customers", "count", 1309.0) == "1,309"
    assert text.kpi_value_text(EN, "repurchase_rate", "ratio", 0.90376) == "90.4%"
    assert text.kpi_value_text(EN, "csat", "score", 4.05) == "4.05"
    assert text.kpi_value_text(EN, "nps", "score", 33.333) == "33.3"
    assert text.kpi_value_text(ZH, "nps", "score", None) == "—"


def test_customers_retention_and_service_sentences():
    snapshot = {
        "customers": kpi_row(1309.0, 1307.0, 1004.0), "active_customers": kpi_row(478.0),
        "new_customers": kpi_row(56.0), "churned_customers": kpi_row(63.0),
        "retention_rate": kpi_row(0.59, 0.458, None, ratio=True), "repurchase_rate": kpi_row(0.9038, ratio=True),
        "csat": kpi_row(4.05, 4.1333, None, ratio=True), "nps": kpi_row(None),
    }
    assert text.customers_sentence(EN, JUNE, snapshot) == (
        "At the end of June 2026 there were 1,309 customers (buyers of the last year), up 0.2% on May and 30.4% on "
        "June 2025; 478 bought in the month, 56 were new and 63 churned.")
    assert text.customers_sentence(ZH, JUNE, snapshot) == (
        "截至2026年6月底共有客户 1,309 位（近一年内有购买的客户），环比增长 0.2%，同比增长 30.4%；"
        "当月 478 位客户下单，新增 56 位，流失 63 位。")
    assert text.retention_sentence(EN, JUNE, snapshot) == (
        "Retention (last month's buyers buying again) was 59.0%, up 13.2 pp on May; the repurchase rate was 90.4%.")
    assert text.retention_sentence(ZH, JUNE, snapshot) == "留存率 59.0%，环比上升 13.2 个百分点；复购率 90.4%。"
    # NPS not measured: only CSAT is reported; neither measured: no sentence.
    assert text.service_sentence(EN, JUNE, snapshot) == "In June 2026: CSAT 4.05 (down 0.08 on May)."
    assert text.service_sentence(ZH, JUNE, snapshot) == "2026年6月客户满意度 4.05（环比下降 0.08）。"
    assert text.service_sentence(EN, JUNE, {"csat": kpi_row(None)}) is None


def test_risk_and_quality_sentences():
    assert text.risk_sentence(EN, 1306, 669, 725_478.37, 1_687_633.72) == (
        "669 of the 1,306 customers scored are at high churn risk, with ¥725.5k of predicted 12-month value at "
        "risk; across all scored customers the value at risk is ¥1.7M.")
    assert text.risk_sentence(ZH, 1306, 669, 725_478.37, 1_687_633.72) == (
        "669 位客户处于高流失风险（共评分 1,306 位），其未来 12 个月预计价值中 ¥72.5万 面临流失；"
        "全部评分客户的风险价值合计 ¥168.8万。")
    assert "not enough history" in text.risk_sentence(EN, 0, 0, None, None)
    assert text.quality_sentence(EN, 0.949, 107) == (
        "The overall data-quality score is 94.9%; 107 exported rows break a rule and wait in quarantine for a "
        "correction.")
    assert text.quality_sentence(ZH, 0.949, 0) == "整体数据质量评分 94.9%；没有被隔离的数据行。"
    assert text.quality_sentence(EN, None, 0) is None


def test_executive_summary_has_three_to_six_sentences():
    snapshot = {"revenue": kpi_row(1000.0, 900.0, None), "customers": kpi_row(10.0),
                "retention_rate": kpi_row(0.5, ratio=True)}
    sentences = text.executive_summary(EN, JUNE, snapshot, 5, 2, 100.0, 300.0, 0.9, 3)
    assert 3 <= len(sentences) <= 6
    assert sentences[0] == "Revenue in June 2026 was ¥1,000, up 11.1% on May."
    assert any(s.startswith("2 of the 5 customers scored") for s in sentences)
    assert text.executive_summary(ZH, None, {}, 0, 0, None, None, None, 0)[0] == "尚无完整月份的数据。"


MODELS = [
    {"model": "recency_rule", "is_shipped": False, "is_baseline": True, "status": "ok",
     "metrics": {"roc_auc": 0.802}},
    {"model": "bgnbd_score", "is_shipped": True, "is_baseline": True, "status": "ok", "metrics": {"roc_auc": 0.84},
     "train_cutoff": date(2026, 1, 1), "test_cutoff": date(2026, 4, 1), "test_window_end": date(2026, 6, 30)},
    {"model": "logistic_regression", "is_shipped": False, "is_baseline": False, "status": "ok",
     "metrics": {"roc_auc": 0.837}},
    {"model": "gradient_boosting", "is_shipped": False, "is_baseline": False, "status": "ok",
     "metrics": {"roc_auc": 0.827}},
]


def test_churn_model_sentences_say_a_baseline_beat_machine_learning():
    en = text.churn_model_sentences(EN, MODELS)
    assert en[0].startswith("The shipped churn model is the BG/NBD purchase-model score: on the backtest (trained "
                            "on data up to 1 Jan 2026, judged on who bought again from 1 Apr 2026 to 30 Jun 2026)")
    assert en[0].endswith("its ROC AUC was 0.840.")
    assert en[1] == ("It is a simple baseline: it beat the machine-learning models on the backtest (logistic "
                     "regression 0.837, gradient boosting 0.827), so the simpler model ships.")
    zh = text.churn_model_sentences(ZH, MODELS)
    assert "这是一个简单的基线模型：它在回测中优于机器学习模型（逻辑回归 0.837、梯度提升树 0.827）" in zh[1]
    # A machine-learning model shipped: no baseline sentence.
    learned = [dict(m, is_shipped=m["model"] == "logistic_regression") for m in MODELS]
    learned[2] |= {"train_cutoff": date(2026, 1, 1), "test_cutoff": date(2026, 4, 1),
                   "test_window_end": date(2026, 6, 30)}
    assert len(text.churn_model_sentences(EN, learned)) == 1
    # A tie with a learned model: the baseline "matched" it.
    tied = [dict(m, metrics={"roc_auc": 0.84}) if m["model"] == "gradient_boosting" else m for m in MODELS]
    assert "it matched the machine-learning models" in text.churn_model_sentences(EN, tied)[1]
    assert text.churn_model_sentences(EN, []) == [
        "No churn model was trained: too few customers or churners in the backtest window."]


def test_lift_sentence_measured_and_not_yet():
    measured = {"complete": [
        {"assigned_action": "all", "list_date": date(2026, 3, 31), "evaluation_days": 90,
         "window_end": date(2026, 6, 29), "treated_retention": 0.62, "control_retention": 0.55, "lift": 0.07,
         "lift_ci_low": -0.03, "lift_ci_high": 0.17},
        {"assigned_action": "win_back_offer", "list_date": date(2026, 3, 31), "lift": 0.1},
    ], "open": []}
    assert text.lift_sentence(EN, measured, date(2026, 3, 31), 90) == (
        "Measured on the list of 31 Mar 2026 (90-day window to 29 Jun 2026): 62.0% of the customers who got an "
        "action bought again, against 55.0% of the control group, a lift of +7.0 pp (95% CI -3.0 pp to +17.0 pp). "
        "The interval includes zero: the effect cannot yet be told from chance.")
    assert text.lift_sentence(ZH, measured, date(2026, 3, 31), 90).startswith(
        "2026年3月31日 发出的行动名单（90 天评估期至 2026年6月29日）：执行组 62.0% 的客户再次购买，对照组为 55.0%，"
        "提升 +7.0个百分点")
    empty = {"complete": [], "open": []}
    assert text.lift_sentence(EN, empty, date(2026, 6, 30), 90) == (
        "Not measured yet: the first action list was issued on 30 Jun 2026; its 90-day window ends on 28 Sep 2026.")
    assert text.lift_sentence(ZH, empty, date(2026, 6, 30), 60) == (
        "尚未测量：第一份行动名单于 2026年6月30日 发出，其 60 天评估期于 2026年8月29日 结束。")
    assert text.lift_sentence(EN, empty, None, 90) == "Not measured yet: no action list has been issued."


def test_segment_finding():
    row = {"segment": "Champions", "revenue_share": 0.72, "scored": 400, "high_risk": 24, "value_at_risk": 660_609.32}
    assert text.segment_finding(EN, row) == (
        "72.0% of revenue; 6.0% of the scored customers at high churn risk, ¥660.6k of value at risk.")
    assert text.segment_finding(ZH, row) == "贡献 72.0% 的营收；6.0% 的已评分客户处于高流失风险，风险价值 ¥66.1万。"
    lapsed = {"segment": "Lost", "revenue_share": 0.003, "scored": 0}
    assert text.segment_finding(EN, lapsed, 365) == (
        "0.3% of revenue; no purchase in the last 365 days, so no churn score (already lapsed).")
    assert text.segment_finding(ZH, {"segment": None}) == "在 CRM 中但尚未成交，没有购买记录。"


def test_methodology_takes_its_numbers_from_the_settings():
    changed = {**THRESHOLDS, "churn": {**THRESHOLDS["churn"], "horizon_days": 60, "risk_high": 0.75},
               "actions": {**THRESHOLDS["actions"], "control_share": 0.2}}
    en = dict(text.methodology(EN, changed))
    assert "no completed purchase in the 60 days after a date" in en["Churn definition and prediction"]
    assert "churn probability of 75% or more" in en["Churn definition and prediction"]
    # evaluation_days is not set: it follows the churn horizon.
    assert "A fixed 20% of the customers" in en["Control group and lift"]
    assert "within 60 days of the list date" in en["Control group and lift"]
    zh = dict(text.methodology(ZH, {}))  # no settings at all: the documented defaults
    assert "某日之后 90 天内没有完成订单即为流失" in zh["流失定义与预测"]
    assert len(zh) == len(en) == 7


# --- data functions on tiny hand-built tables ---------------------------------------------------------

@pytest.fixture
def tiny() -> duckdb.DuckDBPyConnection:
    conn = duckdb.connect()
    conn.execute("CREATE SCHEMA analytics; CREATE SCHEMA core; CREATE SCHEMA quality")
    return conn


def test_clv_histogram_counts_buckets_in_sql(tiny):
    assert data.nice_edges(1200) == [0, 100, 200, 500, 1000, 2000]
    assert data.nice_edges(50) == [0, 100]
    tiny.execute("CREATE TABLE analytics.clv AS SELECT * FROM (VALUES ('a', 0.0), ('b', 50.0), ('c', 150.0), "
                 "('d', 1200.0), ('e', NULL)) t(customer_id, clv_12m)")
    histogram = data.clv_histogram(tiny)
    assert [(b["low"], b["high"], b["customers"]) for b in histogram["buckets"]] == [
        (0, 100, 2), (100, 200, 1), (200, 500, 0), (500, 1000, 0), (1000, 2000, 1)]
    assert histogram["customers"] == 4 and histogram["total"] == 1400.0 and histogram["median"] == 100.0
    tiny.execute("UPDATE analytics.clv SET clv_12m = NULL")
    assert data.clv_histogram(tiny)["buckets"] == []


def test_missing_tables_read_as_empty(tiny):
    assert data.risk_totals(tiny) is None
    assert data.churn_models(tiny) == []
    assert data.clv_histogram(tiny)["buckets"] == []
    assert data.complaint_categories(tiny, date(2026, 6, 30)) == {
        "categories": [], "tickets": 0, "complaints": 0, "other_complaints": 0}
    assert data.latest_complete_month(tiny, date(2026, 6, 30)) is None
    assert data.kpi_series(tiny, None)["revenue"] == []
    assert data.segment_strategy(tiny) == []
    assert data.action_lists(tiny) == {"first": None, "latest": None, "count": 0}
    assert [r["rows"] for r in data.core_row_counts(tiny)] == [0] * len(data.CORE_TABLES)


def test_complaints_of_the_last_twelve_months_by_category(tiny):
    tiny.execute("CREATE TABLE core.tickets (ticket_id VARCHAR, opened_date DATE, category VARCHAR, "
                 "is_complaint BOOLEAN)")
    tiny.execute("""INSERT INTO core.tickets VALUES
        ('1', '2026-06-30', '投诉-物流', true), ('2', '2026-01-15', '投诉-物流', true),
        ('3', '2025-07-01', '投诉-质量', true),   -- 12 months back: in
        ('4', '2025-06-30', '投诉-质量', true),   -- older: out
        ('5', '2026-07-01', '投诉-质量', true),   -- after the as-of date: out
        ('6', '2026-03-01', '咨询', false), ('7', '2026-03-02', NULL, true)""")
    result = data.complaint_categories(tiny, date(2026, 6, 30), top=2)
    assert result["categories"] == [{"category": "投诉-物流", "complaints": 2}, {"category": "", "complaints": 1}]
    assert (result["tickets"], result["complaints"], result["other_complaints"]) == (5, 4, 1)


def test_quarantine_counts_rows_once_and_skips_resolved(tiny):
    tiny.execute("CREATE TABLE quality.quarantine (kind VARCHAR, source_file VARCHAR, sheet VARCHAR, "
                 "row_number BIGINT, rule VARCHAR, resolved BOOLEAN)")
    tiny.execute("""INSERT INTO quality.quarantine VALUES
        ('sales', 'a.csv', NULL, 2, 'not a number', false), ('sales', 'a.csv', NULL, 2, 'unparseable date', false),
        ('sales', 'a.csv', NULL, 3, 'unparseable date', false), ('sales', 'a.csv', NULL, 4, 'x', true),
        ('crm', 'b.csv', NULL, 9, 'required value missing', false)""")
    assert data.quarantine_counts(tiny) == [
        {"kind": "crm", "rows": 1, "breaches": 1, "top_rule": "required value missing"},
        {"kind": "sales", "rows": 2, "breaches": 3, "top_rule": "unparseable date"},
    ]


def test_action_lift_uses_the_latest_complete_list(tiny):
    tiny.execute("""CREATE TABLE analytics.action_lift AS SELECT * FROM (VALUES
        (DATE '2026-01-31', 'all', 100, 0.6, 10, 0.5, 0.1, -0.2, 0.4, 90, DATE '2026-05-01', true),
        (DATE '2026-02-28', 'all', 100, 0.7, 10, 0.5, 0.2, -0.1, 0.5, 90, DATE '2026-05-29', true),
        (DATE '2026-02-28', 'welcome_offer', 40, 0.7, 4, 0.5, 0.2, NULL, NULL, 90, DATE '2026-05-29', true),
        (DATE '2026-05-31', 'all', 100, 0.8, 10, 0.5, 0.3, 0.0, 0.6, 90, DATE '2026-06-30', false))
        t(list_date, assigned_action, treated_customers, treated_retention, control_customers, control_retention,
          lift, lift_ci_low, lift_ci_high, evaluation_days, window_end, window_complete)""")
    lift = data.action_lift(tiny)
    assert [(r["list_date"], r["assigned_action"]) for r in lift["complete"]] == [
        (date(2026, 2, 28), "all"), (date(2026, 2, 28), "welcome_offer")]
    assert [r["list_date"] for r in lift["open"]] == [date(2026, 5, 31)]


# --- prediction statuses (quality.asset_status) in the churn and value sections ------------------------

DEGRADED_EN = "Not enough history: the 90-day horizon needs 180 days, the data holds 120; the recency rule ships."
DEGRADED_ZH = "历史不足：90 天的预测期需要 180 天数据，现有 120 天；上线的是最近购买规则。"


def scored_warehouse() -> duckdb.DuckDBPyConnection:
    """Two scored customers with CLV and an RFM table: enough for the risk, CLV and strategy parts."""
    conn = duckdb.connect()
    conn.execute("CREATE SCHEMA analytics")
    conn.execute("""CREATE TABLE analytics.churn_scores AS SELECT * FROM (VALUES
        ('a', 0.8, 'high', 1000.0, 800.0), ('b', 0.2, 'low', 500.0, 100.0))
        t(customer_id, churn_probability, risk_tier, clv_12m, value_at_risk)""")
    conn.execute("CREATE TABLE analytics.clv AS SELECT * FROM (VALUES ('a', 1000.0), ('b', 500.0)) "
                 "t(customer_id, clv_12m)")
    conn.execute("""CREATE TABLE analytics.rfm AS SELECT * FROM (VALUES
        ('a', 'Champions', '重要价值客户', 900.0, 0.9, 'high', '高价值'),
        ('b', 'Lost', '流失客户', 100.0, 0.1, 'low', '低价值'))
        t(customer_id, segment, segment_zh, monetary, revenue_share, value_tier, value_tier_zh)""")
    return conn


def section(html: str, heading: str, next_heading: str) -> str:
    start = html.index(f"<h3>{heading}</h3>")
    return html[start:html.index(f"<h3>{next_heading}</h3>", start)]


def test_a_degraded_prediction_shows_its_sentence_above_the_scores():
    conn = scored_warehouse()
    for asset in ("analytics/churn_scores", "analytics/clv"):
        record_status(conn, AssetStatus(asset, "degraded", DEGRADED_EN, DEGRADED_ZH), JUNE)
    pages = render_management_pages(conn, date(2026, 6, 30), GENERATED_AT, "¥", THRESHOLDS)
    for language, sentence in (("en", DEGRADED_EN), ("zh", DEGRADED_ZH)):
        sub = text.SUBSECTIONS[language]
        risk = section(pages[language], sub["risk"], sub["clv"])
        subject = SUBJECTS["analytics/churn_scores"][language]
        notice = risk.index(f'data-status-of="analytics/churn_scores"><strong>{subject}</strong> {sentence}</div>')
        # Above the scores, which are still shown.
        assert notice < risk.index("<table>") < risk.index('<div id="mgmt-risk-tiers"')
        clv = section(pages[language], sub["clv"], sub["models"])
        assert clv.index('class="notice degraded"') < clv.index('<div id="mgmt-clv-histogram"')
    # Scored customers: the summary keeps its risk sentence.
    assert "1 of the 2 customers scored are at high churn risk" in pages["en"]


def test_a_failed_prediction_shows_its_sentence_instead_of_the_section():
    conn = scored_warehouse()  # rows left from an earlier run must not be shown as this run's
    for asset in ("analytics/churn_scores", "analytics/churn_model_metrics", "analytics/clv"):
        record_status(conn, failure_status(asset, ValueError("Input contains NaN at /srv/crm/churn.py")), JUNE)
    pages = render_management_pages(conn, date(2026, 6, 30), GENERATED_AT, "¥", THRESHOLDS)
    cause = {"en": "Could not be computed in this run (ValueError: Input contains NaN at churn.py)",
             "zh": "本次运行未能计算（ValueError: Input contains NaN at churn.py）"}
    for language in ("en", "zh"):
        html, sub = pages[language], text.SUBSECTIONS[language]
        for heading, following, asset in (("risk", "clv", "analytics/churn_scores"), ("clv", "models", "analytics/clv"),
                                          ("models", "calibration", "analytics/churn_model_metrics"),
                                          ("calibration", "forecast", "analytics/churn_model_metrics"),
                                          ("forecast", "csat", "analytics/churn_model_metrics")):
            part = section(html, sub[heading], sub[following])
            assert f'<div class="notice failed" role="note" data-status-of="{asset}">' in part, (language, heading)
            assert cause[language] in part
            assert "<table>" not in part and "plotly-graph-div" not in part and "nodata" not in part
        assert "/srv/crm" not in html
        # The summary says why there is no risk figure; the strategy table does not call anyone lapsed.
        assert f"<p>{SUBJECTS['analytics/churn_scores'][language]} {cause[language]}" in html
    assert "no churn scores in this run" in pages["en"] and "already lapsed" not in pages["en"]
    assert "本次运行没有流失评分" in pages["zh"]


def test_no_recorded_status_shows_no_notice():
    pages = render_management_pages(scored_warehouse(), date(2026, 6, 30), GENERATED_AT, "¥", THRESHOLDS)
    assert all('class="notice' not in html for html in pages.values())
    assert '<div id="mgmt-risk-tiers"' in pages["en"]


# --- whole pages on generated warehouses -------------------------------------------------------------

@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> PathSettings:
    """A 300-customer generated installation, every asset materialised once with a pinned time."""
    root = tmp_path_factory.mktemp("management")
    generate(root / "inbox", root / "truth", customers=300, seed=11)
    paths = paths_under(root)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SOURCE_DATE_EPOCH", EPOCH)
        assert materialize_all(paths).success
    return paths


@pytest.fixture(scope="module")
def sample_conn(sample):
    conn = duckdb.connect(sample.warehouse_path, read_only=True)
    yield conn
    conn.close()


@pytest.fixture(scope="module")
def sample_as_of(sample_conn) -> date:
    return sample_conn.execute("SELECT max(as_of) FROM analytics.kpis_monthly").fetchall()[0][0]


@pytest.fixture(scope="module")
def pages(sample_conn, sample_as_of) -> dict[str, str]:
    return render_management_pages(sample_conn, sample_as_of, GENERATED_AT, "¥", THRESHOLDS)


def test_both_languages_render_every_section(pages):
    for language in ("zh", "en"):
        html = pages[language]
        assert html.startswith("<!DOCTYPE html>")
        assert f'<html lang="{"zh-CN" if language == "zh" else "en"}">' in html
        for heading in text.SECTIONS[language]:
            assert f"<h2>{heading}</h2>" in html, (language, heading)
        for heading in text.SUBSECTIONS[language].values():
            assert f"<h3>{heading}</h3>" in html, (language, heading)
    assert "<title>客户管理汇报 · " in pages["zh"] and "<title>Customer management report · " in pages["en"]
    assert 'href="management.en.html"' in pages["zh"] and 'href="management.zh.html"' in pages["en"]


def test_summary_sentence_and_cards_equal_the_kpi_table(pages, sample_conn, sample_as_of):
    month, value, previous, last_year = sample_conn.execute(
        """SELECT month, value, relative_change_vs_previous_month, relative_change_vs_last_year
           FROM analytics.kpis_monthly WHERE kpi = 'revenue' AND NOT is_partial_month AND month <= ?
           ORDER BY month DESC LIMIT 1""", [sample_as_of]).fetchall()[0]
    # Worked out by hand from the KPI row: 万 with one decimal, changes as percentages with one decimal.
    verb = {True: "增长", False: "下降"}
    expected = (f"{month.year}年{month.month}月营收 ¥{value / 1e4:,.1f}万，环比{verb[previous > 0]} "
                f"{abs(previous) * 100:.1f}%，同比{verb[last_year > 0]} {abs(last_year) * 100:.1f}%。")
    assert f"<p>{expected}</p>" in pages["zh"]
    customers, high = sample_conn.execute(
        "SELECT (SELECT value FROM analytics.kpis_monthly WHERE kpi = 'customers' AND month = ?), "
        "(SELECT count(*) FROM analytics.churn_scores WHERE risk_tier = 'high')", [month]).fetchall()[0]
    card = re.search(r'data-kpi="customers">.*?<div class="value">([^<]+)</div>', pages["en"], re.S).group(1)
    assert card == f"{int(customers):,}"
    assert f"{high:,} of the " in pages["en"] and f"<p>{high:,} 位客户处于高流失风险" in pages["zh"]
    # Every card of the executive summary is a KPI of analytics.kpi_definitions, labelled from it.
    labels = dict(sample_conn.execute("SELECT kpi, label_zh FROM analytics.kpi_definitions").fetchall())
    for kpi in data.CARD_KPIS:
        assert f'data-kpi="{kpi}">\n    <div class="label">{labels[kpi]}</div>' in pages["zh"]


def test_no_placeholder_value_or_machine_path_is_shown(pages):
    for html in pages.values():
        assert not placeholders(html) and not absolute_paths(html)


def test_plotly_inlined_once_and_nothing_fetched(pages):
    bundle = plotly_script()
    for html in pages.values():
        assert html.count(bundle) == 1
        assert not re.search(r"<script[^>]*\bsrc\s*=", html)
        assert not re.search(r"""<(?:link|img|iframe)[^>]+(?:href|src)\s*=\s*["']?(?:https?:)?//""", html)


def test_every_chart_is_drawn_with_its_fixed_id(pages):
    for html in pages.values():
        for chart_id in CHART_IDS:
            assert f'<div id="{chart_id}" class="plotly-graph-div"' in html, chart_id
        assert 'class="note nodata"' not in html


def test_pages_stay_small(pages):
    for html in pages.values():
        assert len(html.encode("utf-8")) < 10 * 1024 * 1024
        # Without the Plotly bundle the page is a few hundred kilobytes, whatever the customer count.
        assert len(html.encode("utf-8")) - len(plotly_script().encode("utf-8")) < 600 * 1024


def test_rendering_twice_gives_identical_bytes(sample, sample_conn, sample_as_of, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    first = render_management_pages(sample_conn, sample_as_of, generation_time(), "¥", THRESHOLDS)
    second = render_management_pages(sample_conn, sample_as_of, generation_time(), "¥", THRESHOLDS)
    assert first == second
    assert '<meta name="generated-at" content="2026-01-01T00:00:00+00:00">' in first["zh"]
    # The asset published the same bytes (it ran with the same SOURCE_DATE_EPOCH).
    for folder in (Path(sample.reports_dir) / sample_as_of.isoformat(), Path(sample.reports_dir) / "latest"):
        for language in ("zh", "en"):
            assert (folder / f"management.{language}.html").read_text(encoding="utf-8") == first[language]
        assert (folder / "management.html").read_text(encoding="utf-8") == first["zh"]


def test_text_from_data_is_escaped(sample, sample_as_of, tmp_path):
    copy = tmp_path / "hostile.duckdb"
    shutil.copy(sample.warehouse_path, copy)
    with duckdb.connect(str(copy)) as conn:
        conn.execute("UPDATE core.tickets SET category = ? WHERE is_complaint", [XSS])
        conn.execute("UPDATE analytics.cluster_profiles SET cluster_name = ?, traits_zh = ?", [XSS, XSS])
        conn.execute("UPDATE analytics.rfm SET segment_zh = ?", [XSS])
        pages = render_management_pages(conn, sample_as_of, GENERATED_AT, "¥", THRESHOLDS)
    for html in pages.values():
        assert XSS not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html or "&lt;script&gt;alert(1)&lt;\\/script&gt;" in html


@pytest.fixture(scope="module")
def sales_only(tmp_path_factory) -> PathSettings:
    """Only a minimal sales export (three customers): no service, e-mail or CRM data, no churn model."""
    root = tmp_path_factory.mktemp("management-sales-only")
    minimal_sales_inbox(root / "inbox")
    paths = paths_under(root)
    assert materialize_all(paths).success
    return paths


def test_a_sales_only_warehouse_still_renders(sales_only):
    with duckdb.connect(sales_only.warehouse_path, read_only=True) as conn:
        as_of = conn.execute("SELECT max(as_of) FROM analytics.kpis_monthly").fetchall()[0][0]
        pages = render_management_pages(conn, as_of, GENERATED_AT, "¥", THRESHOLDS)
    for language, html in pages.items():
        t = text.LABELS[language]
        for heading in text.SECTIONS[language]:
            assert f"<h2>{heading}</h2>" in html
        for chart_id in ("mgmt-csat-nps", "mgmt-complaint-categories", "mgmt-service-times", "mgmt-email-engagement"):
            assert f'<p class="note nodata" data-chart="{chart_id}">{t["no_data"]}</p>' in html
        # no model could be learnt from 61 days: the churn sections say why instead of showing empty charts
        assert 'class="notice degraded" role="note" data-status-of="analytics/churn_model_metrics"' in html
        assert 'data-chart="mgmt-churn-calibration"' not in html
        assert '<div id="mgmt-revenue-trend" class="plotly-graph-div"' in html
        assert html.count(plotly_script()) == 1
    assert "Not enough history for the 90-day horizon" in pages["en"]
    assert "No churn model was trained" not in pages["en"]
    assert "Not measured yet: the first action list was issued on 7 Mar 2025" in pages["en"]
    # The CSAT card has no value and says why.
    assert re.search(r'data-kpi="csat">.*?<div class="value">—</div>\s*<div class="change">No data from this source.',
                     pages["en"], re.S)
    published = Path(sales_only.reports_dir) / "latest"
    assert {p.name for p in published.glob("management*.html")} == {
        "management.html", "management.zh.html", "management.en.html"}

