"""The key-account table, churn watchlist and data-quality report: hand-built tiny tables for the
rules, a small generated warehouse (built once) for the whole pages, and a real browser for the
sort / filter script."""

from __future__ import annotations

import re
import shutil
from datetime import UTC, date, datetime
from html.parser import HTMLParser
from pathlib import Path

import duckdb
import pytest

from assets.common.masking import RAW_EMAIL_PATTERN, RAW_PHONE_PATTERNS
from assets.common.settings import PathSettings, load_thresholds
from assets.common.status import AssetStatus, failure_status, record_status
from pipelines.tools.sample_data import generate
from reports.churn_watchlist.asset import render_churn_watchlist_pages, watchlist_rows, watchlist_totals
from reports.common.charts import plotly_script
from reports.common.prediction_status import SUBJECTS
from reports.data_quality.asset import render_data_quality_pages
from reports.key_accounts.asset import key_account_summary, render_key_accounts_pages
from tests.conftest import materialize_all, paths_under
from tests.report_fixtures import absolute_paths, placeholders

AS_OF = date(2026, 6, 30)
GENERATED_AT = datetime(2026, 7, 1, 8, 0, tzinfo=UTC)
THRESHOLDS = load_thresholds()
RENDERERS = {
    "key_accounts": render_key_accounts_pages,
    "churn_watchlist": render_churn_watchlist_pages,
    "data_quality": render_data_quality_pages,
}
CONTROL_EN = "Control group — no action (measuring effect)"
CONTROL_ZH = "对照组——不采取行动（用于衡量效果）"
XSS = "<script>alert(1)</script>"


def render_all(conn, thresholds=None) -> dict[str, dict[str, str]]:
    return {stem: render(conn, AS_OF, GENERATED_AT, "¥", THRESHOLDS if thresholds is None else thresholds)
            for stem, render in RENDERERS.items()}


class _Table(HTMLParser):
    """Rows of one table: each cell as (text, attributes, text pieces); copes with omitted </td> and </tr>."""

    def __init__(self, table_id: str):
        super().__init__(convert_charrefs=True)
        self.table_id, self.inside, self.in_body = table_id, False, False
        self.rows: list[list[list]] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table" and attrs.get("id") == self.table_id:
            self.inside = True
        elif self.inside and tag == "tbody":
            self.in_body = True
        elif self.in_body and tag == "tr":
            self.rows.append([])
        elif self.in_body and tag in ("td", "th"):
            self.rows[-1].append([[], attrs])

    def handle_endtag(self, tag):
        if tag == "table" and self.inside:
            self.inside = self.in_body = False

    def handle_data(self, data):
        if self.in_body and self.rows and self.rows[-1]:
            self.rows[-1][-1][0].append(data)


def table_rows(page: str, table_id: str) -> list[list[tuple[str, dict, list[str]]]]:
    parser = _Table(table_id)
    parser.feed(page)
    return [[("".join(pieces).strip(), attrs, [p.strip() for p in pieces if p.strip()]) for pieces, attrs in row]
            for row in parser.rows]


def customer_of(row) -> str:
    """The customer id of a watchlist row (the small text under the company)."""
    return row[1][2][-1]


# --- hand-built tiny tables --------------------------------------------------------------------------


def tiny_warehouse() -> duckdb.DuckDBPyConnection:
    """Five graded customers, four churn scores, three listed actions (one control)."""
    conn = duckdb.connect()
    conn.execute("CREATE SCHEMA analytics")
    conn.execute("""CREATE TABLE analytics.key_accounts AS SELECT * FROM (VALUES
        ('K1', 'Kilo 有限公司', '张伟', '138****8000', 'k***@example.com', '王芳', '金融', '1000+', 'VIP', 95.0, 1,
         600.00, 6, 900.0, DATE '2026-06-01', DATE '2026-06-20', 0, 0.00, DATE '2026-07-04', false),
        ('K2', 'Lima 有限公司', '李娜', '139****9000', 'l***@example.com', '陈静', '零售', '1-49', 'A', 80.0, 2,
         300.00, 3, NULL, DATE '2026-05-01', NULL, 1, 50.00, DATE '2026-05-31', true),
        ('K3', 'Mike 有限公司', NULL, NULL, NULL, NULL, '制造业', NULL, 'B', 60.0, 3,
         80.00, 1, NULL, DATE '2026-01-01', NULL, 0, 0.00, DATE '2026-03-01', true),
        ('K4', 'Nova 有限公司', NULL, NULL, NULL, '王芳', '教育', NULL, 'C', 20.0, 4,
         20.00, 1, NULL, DATE '2025-09-01', NULL, 0, 0.00, DATE '2025-11-30', true),
        ('K5', 'Oscar 有限公司', NULL, NULL, NULL, '陈静', '金融', NULL, 'A', 70.0, 5,
         0.00, 0, NULL, DATE '2025-01-01', NULL, 0, 0.00, DATE '2025-03-01', true)
    ) t(customer_id, company, contact_name, phone_masked, email_masked, owner, industry, company_size, grade,
        score, score_rank, revenue_12m, orders_12m, predicted_value, last_order_date, last_interaction_date,
        complaints_12m, open_opportunity_value, next_follow_up_date, follow_up_overdue)""")
    conn.execute("""CREATE TABLE analytics.churn_scores AS SELECT * FROM (VALUES
        ('K1', 0.35, 'medium', '低于平均', 'Spend fell; Fewer contacts', '消费下降；联系减少', 2000.0, 700.0,
         false, true, false, 30),
        ('K2', 0.90, 'high', '高', 'No order for 60 days', '60 天未下单', 1000.0, 900.0, true, false, true, 60),
        ('K3', 0.70, 'high', '高', NULL, NULL, 1000.0, 700.0, NULL, NULL, NULL, 180),
        ('K4', 0.10, 'low', '低', NULL, NULL, 5000.0, 500.0, false, false, false, 300)
    ) t(customer_id, churn_probability, risk_tier, risk_tier_zh, top_reasons, top_reasons_zh, clv_12m,
        value_at_risk, interaction_drop, spend_drop, complaint_spike, days_since_last_purchase)""")
    conn.execute("""CREATE TABLE analytics.next_best_actions AS SELECT * FROM (VALUES
        ('K1', 'Kilo 有限公司', '王芳', 'vip_care_call', 'VIP care call', 'VIP 关怀回访', 'Call them', '请致电', false),
        ('K2', 'Lima 有限公司', '陈静', 'control_no_action', 'Control group: no playbook action',
         '对照组：本期不采取行动', 'Held out', '对照组', true),
        ('K4', 'Nova 有限公司', '王芳', 'win_back_offer', 'Win-back offer', '挽回优惠', 'Offer', '优惠', false)
    ) t(customer_id, company, owner, action, action_label_en, action_label_zh, reason_en, reason_zh, is_control)""")
    return conn


def test_key_account_summary_counts_vip_and_a_and_their_revenue_share():
    conn = tiny_warehouse()
    summary = key_account_summary(conn)
    assert (summary["vip"], summary["a"], summary["accounts"]) == (1, 2, 3)
    # VIP + A revenue 600 + 300 + 0 of 1000 in all
    assert summary["revenue_share"] == pytest.approx(0.9)
    assert summary["overdue"] == 2  # K2 and K5
    assert summary["high_risk"] == 1  # K2
    assert summary["value_at_risk"] == pytest.approx(1600.0)  # K1 700 + K2 900, K5 not scored


def test_key_account_table_lists_vip_then_a_by_score_rank_with_churn_risk():
    conn = tiny_warehouse()
    pages = render_key_accounts_pages(conn, AS_OF, GENERATED_AT, "¥", THRESHOLDS)
    rows = table_rows(pages["en"], "key-accounts")
    assert [r[0][0] for r in rows] == ["Kilo 有限公司", "Lima 有限公司", "Oscar 有限公司"]
    assert [r[5][0] for r in rows] == ["VIP", "A", "A"]
    assert [r[16][0] for r in rows] == ["Medium", "High", "Not scored"]
    assert [r[15][1]["data-value"] for r in rows] == ["0", "1", "1"]
    assert rows[0][7][1]["data-sort"] == "600" and rows[0][7][0] == "¥600"
    assert rows[1][11][1]["data-sort"] == "" and rows[1][11][0] == "—"  # no contact yet
    assert rows[0][10][1]["data-sort"] == "2026-06-01"
    zh_rows = table_rows(pages["zh"], "key-accounts")
    assert [r[5][0] for r in zh_rows] == ["VIP", "A 类", "A 类"]
    assert zh_rows[0][10][0] == "2026年6月1日"


def test_key_account_table_caps_the_rows_but_not_the_cards():
    conn = tiny_warehouse()
    pages = render_key_accounts_pages(conn, AS_OF, GENERATED_AT, "¥", {"reports": {"key_accounts_max_rows": 2}})
    assert len(table_rows(pages["en"], "key-accounts")) == 2
    assert "The table lists the first 2 accounts by grade and score (3 VIP and A accounts in all" in pages["en"]


def test_watchlist_orders_by_value_at_risk_and_marks_the_control_group():
    conn = tiny_warehouse()
    rows = watchlist_rows(conn, 10)
    # K2 900, then K1 and K3 tie on 700: the higher churn probability (K3 0.70) first; K4 is low risk
    assert [r["customer_id"] for r in rows] == ["K2", "K3", "K1"]
    assert watchlist_totals(conn) == {"high": 2, "medium": 1, "watched": 3, "value_at_risk": 2300.0}
    pages = render_churn_watchlist_pages(conn, AS_OF, GENERATED_AT, "¥", {"reports": {"watchlist_size": 2}})
    en = table_rows(pages["en"], "watchlist")
    assert [(r[1][2][0], customer_of(r)) for r in en] == [("Lima 有限公司", "K2"), ("Mike 有限公司", "K3")]
    assert en[0][11][1]["data-value"] == "control_no_action" and CONTROL_EN in en[0][11][0]
    assert "Held out" not in en[0][11][0]  # the manager sees "no action", not the held-out action
    assert en[1][11][1]["data-value"] == "none" and "No playbook action" in en[1][11][0]
    assert en[0][10][0] == "Fewer contactsComplaint spike" and en[1][10][0] == "—"
    assert en[0][3][0] == "A" and en[0][4][1]["data-value"] == "high"
    zh = table_rows(pages["zh"], "watchlist")
    assert CONTROL_ZH in zh[0][11][0] and zh[0][9][0] == "60 天未下单"
    assert "Do not contact the 1 customers marked" in pages["en"]
    pages = render_churn_watchlist_pages(conn, AS_OF, GENERATED_AT, "¥", THRESHOLDS)
    kilo = table_rows(pages["zh"], "watchlist")[2]
    assert "<li>消费下降</li><li>联系减少</li>" in pages["zh"] and kilo[11][1]["data-value"] == "vip_care_call"


@pytest.mark.parametrize("emptied", [False, True])
def test_pages_say_no_data_when_the_tables_are_missing_or_empty(emptied):
    conn = tiny_warehouse() if emptied else duckdb.connect()
    if emptied:
        for table in ("key_accounts", "churn_scores", "next_best_actions"):
            conn.execute(f"DELETE FROM analytics.{table}")
    pages = render_all(conn)
    assert "No key accounts yet" in pages["key_accounts"]["en"] and "暂无重点客户数据" in pages["key_accounts"]["zh"]
    assert "No customers at high or medium churn risk" in pages["churn_watchlist"]["en"]
    assert pages["data_quality"]["en"].count("No data yet.") == 7  # every section
    assert "No rejected files." in pages["data_quality"]["en"]
    assert "Plotly" not in pages["data_quality"]["en"]  # no chart, no bundle


def test_data_quality_report_shows_no_machine_path():
    """Ingest errors may name files by their absolute path: the shareable page names them by the file."""
    conn = duckdb.connect()
    conn.execute("CREATE SCHEMA quality")
    conn.execute("""CREATE TABLE quality.file_rejections AS SELECT * FROM (VALUES
        ('sales', '/srv/crm/data/inbox/sales/bad.xlsx', 'h1',
         'cannot read /srv/crm/data/inbox/sales/bad.xlsx (lock on /srv/crm/data/warehouse.duckdb) for a@b.cn',
         TIMESTAMP '2026-06-30 01:00:00'))
        t(source, source_file, file_hash, error, rejected_at)""")
    conn.execute("""CREATE TABLE quality.quarantine AS SELECT * FROM (VALUES
        ('sales_order_lines', 'C:\\exports\\orders.csv', NULL, 2, 'malformed line: /tmp/x/y.csv:2', 'ingest', false))
        t(kind, source_file, sheet, row_number, rule, stage, resolved)""")
    pages = render_data_quality_pages(conn, AS_OF, GENERATED_AT, "¥", THRESHOLDS)
    for page in pages.values():
        assert "/srv/crm" not in page and "C:\\" not in page and "/tmp/x" not in page and "a@b.cn" not in page
        assert "cannot read bad.xlsx (lock on warehouse.duckdb) for a***@b.cn" in page
        assert ">bad.xlsx<" in page and ">orders.csv<" in page and "malformed line: y.csv:2" in page


# --- prediction statuses (quality.asset_status) -------------------------------------------------------------

FALLBACK_EN = "Only one kind of outcome in the training window: the recency rule ships."
FALLBACK_ZH = "训练窗口中只有一种结果：上线的是最近购买规则。"


def card_values(page: str) -> list[str]:
    return re.findall(r'<div class="card"><div class="value[^"]*">([^<]*)</div>', page)


def test_fallback_scores_are_listed_under_the_recorded_sentence():
    conn = tiny_warehouse()
    for asset in ("analytics/churn_scores", "analytics/clv"):
        record_status(conn, AssetStatus(asset, "degraded", FALLBACK_EN, FALLBACK_ZH), AS_OF)
    watchlist = render_churn_watchlist_pages(conn, AS_OF, GENERATED_AT, "¥", THRESHOLDS)
    key_accounts = render_key_accounts_pages(conn, AS_OF, GENERATED_AT, "¥", THRESHOLDS)
    for language, sentence in (("en", FALLBACK_EN), ("zh", FALLBACK_ZH)):
        page = watchlist[language]
        subject = SUBJECTS["analytics/churn_scores"][language]
        notice = page.index(f'data-status-of="analytics/churn_scores"><strong>{subject}</strong> {sentence}</div>')
        assert notice < page.index('id="watchlist"') and len(table_rows(page, "watchlist")) == 3
        assert 'data-status-of="analytics/clv"' in page
        page = key_accounts[language]
        columns = {"en": "Churn risk / Value at risk:", "zh": "流失风险 / 面临流失价值："}[language]
        assert f'data-status-of="analytics/churn_scores"><strong>{columns}</strong> {sentence}' in page
        predicted = {"en": "Predicted 12m value:", "zh": "预测 12 月价值："}[language]
        assert f'data-status-of="analytics/clv"><strong>{predicted}</strong> {sentence}' in page
        assert page.index('class="notice degraded"') < page.index('id="key-accounts"')
        assert [r[16][0] for r in table_rows(page, "key-accounts")][:2] == (
            ["Medium", "High"] if language == "en" else ["中", "高"])


def test_failed_scores_say_why_instead_of_an_empty_watchlist():
    conn = tiny_warehouse()
    conn.execute("DELETE FROM analytics.churn_scores")  # a failed scoring writes its tables empty
    record_status(conn, failure_status("analytics/churn_scores", MemoryError("out of memory")), AS_OF)
    watchlist = render_churn_watchlist_pages(conn, AS_OF, GENERATED_AT, "¥", THRESHOLDS)
    key_accounts = render_key_accounts_pages(conn, AS_OF, GENERATED_AT, "¥", THRESHOLDS)
    for language in ("en", "zh"):
        page = watchlist[language]
        assert '<div class="notice failed" role="note" data-status-of="analytics/churn_scores">' in page
        assert "MemoryError: out of memory" in page
        assert 'id="watchlist"' not in page and 'class="empty"' not in page  # not "nobody at risk"
        assert card_values(page)[:3] == ["—", "—", "—"]
        page = key_accounts[language]
        assert "MemoryError: out of memory" in page
        # Nobody is "not scored" (= no recent purchase) when the scoring did not run; the card is empty.
        assert {r[16][0] for r in table_rows(page, "key-accounts")} == {"—"}
        assert card_values(page)[4] == "—"
        assert "Not scored" not in page and "未评分</" not in page


# --- a small generated warehouse -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> PathSettings:
    root = tmp_path_factory.mktemp("table_reports")
    generate(root / "inbox", root / "truth", customers=300, seed=11)
    paths = paths_under(root, as_of=AS_OF.isoformat())
    assert materialize_all(paths).success
    return paths


@pytest.fixture(scope="module")
def pages(built) -> dict[str, dict[str, str]]:
    with duckdb.connect(built.warehouse_path, read_only=True) as conn:
        return render_all(conn)


def sql(paths: PathSettings, query: str) -> list[tuple]:
    with duckdb.connect(paths.warehouse_path, read_only=True) as conn:
        return conn.execute(query).fetchall()


def test_assets_publish_both_languages(built):
    for stem in RENDERERS:
        folder = Path(built.reports_dir) / AS_OF.isoformat()
        zh = (folder / f"{stem}.zh.html").read_text("utf-8")
        en = (folder / f"{stem}.en.html").read_text("utf-8")
        assert '<html lang="zh-CN">' in zh and '<html lang="en">' in en
        assert (folder / f"{stem}.html").read_text("utf-8") == zh  # default language zh
        assert (Path(built.reports_dir) / "latest" / f"{stem}.html").exists()
    index = (Path(built.reports_dir) / "latest" / "index.en.html").read_text("utf-8")
    assert "key_accounts.en.html" in index and "churn_watchlist.en.html" in index and "data_quality.en.html" in index


def test_both_languages_render(pages):
    titles = {"key_accounts": ("重点客户管理表", "Key-account management table"),
              "churn_watchlist": ("流失预警名单", "Churn watchlist"),
              "data_quality": ("数据质量报告", "Data-quality report")}
    for stem, (zh_title, en_title) in titles.items():
        assert f"<h1>{zh_title}</h1>" in pages[stem]["zh"] and f"<h1>{en_title}</h1>" in pages[stem]["en"]
        assert pages[stem]["zh"].rstrip().endswith("</html>") and pages[stem]["en"].rstrip().endswith("</html>")
    assert "showing" not in pages["key_accounts"]["zh"].lower() and "显示" in pages["key_accounts"]["zh"]


def test_key_account_table_has_every_vip_and_a_account_and_nothing_else(built, pages):
    expected = sorted(sql(built, "SELECT company, grade FROM analytics.key_accounts WHERE grade IN ('VIP', 'A')"))
    rows = table_rows(pages["key_accounts"]["en"], "key-accounts")
    assert sorted((r[0][0], r[5][0]) for r in rows) == expected
    assert f"Showing {len(expected)} of {len(expected)} accounts" in pages["key_accounts"]["en"]
    overdue = sql(built, "SELECT count(*) FROM analytics.key_accounts WHERE grade IN ('VIP','A') AND follow_up_overdue")
    assert sum(r[15][1]["data-value"] == "1" for r in rows) == overdue[0][0]


def test_watchlist_is_sorted_by_value_at_risk_and_capped(built):
    size = 40
    with duckdb.connect(built.warehouse_path, read_only=True) as conn:
        page = render_churn_watchlist_pages(conn, AS_OF, GENERATED_AT, "¥", {"reports": {"watchlist_size": size}})
    expected = sql(built, f"""SELECT customer_id FROM analytics.churn_scores WHERE risk_tier IN ('high', 'medium')
                              ORDER BY value_at_risk DESC, churn_probability DESC, customer_id LIMIT {size}""")
    rows = table_rows(page["en"], "watchlist")
    assert len(rows) == size
    assert [customer_of(r) for r in rows] == [c for (c,) in expected]
    values = [float(r[6][1]["data-sort"]) for r in rows]
    assert values == sorted(values, reverse=True)
    high, medium = sql(built, "SELECT count(*) FILTER (WHERE risk_tier = 'high'), "
                              "count(*) FILTER (WHERE risk_tier = 'medium') FROM analytics.churn_scores")[0]
    assert high + medium > size
    cards = re.findall(r'<div class="value">([^<]+)</div><div class="label">([^<]+)</div>', page["en"])
    assert (f"{high:,}", "High-risk customers") in cards and (f"{medium:,}", "Medium-risk customers") in cards


def test_watchlist_flags_the_control_customers(built, pages):
    control = {c for (c,) in sql(built, "SELECT customer_id FROM analytics.next_best_actions WHERE is_control")}
    rows = table_rows(pages["churn_watchlist"]["en"], "watchlist")
    listed_control = [r for r in rows if customer_of(r) in control]
    assert listed_control, "the sample should put some control customers on the list"
    for row in rows:
        is_control = customer_of(row) in control
        assert (row[11][1]["data-value"] == "control_no_action") == is_control
        assert (CONTROL_EN in row[11][0]) == is_control
    zh_rows = table_rows(pages["churn_watchlist"]["zh"], "watchlist")
    assert sum(CONTROL_ZH in r[11][0] for r in zh_rows) == len(listed_control)


def test_data_quality_counts_equal_the_sql_counts(built, pages):
    page = pages["data_quality"]["en"]
    by_rule = table_rows(page, "dq-quarantine-rules")
    expected = sql(built, "SELECT count(*) FILTER (WHERE NOT resolved), count(*) FILTER (WHERE resolved), count(*) "
                          "FROM quality.quarantine GROUP BY kind, rule, stage "
                          "ORDER BY count(*) DESC, kind, rule, stage")
    assert [tuple(int(c[0].replace(",", "")) for c in r[3:6]) for r in by_rule] == [tuple(e) for e in expected]
    unresolved = sql(built, "SELECT count(*) FROM quality.quarantine WHERE NOT resolved")[0][0]
    assert f'<div class="value">{unresolved:,}</div><div class="label">Unresolved quarantined rows</div>' in page
    by_file = table_rows(page, "dq-quarantine-files")
    quarantined = sql(built, "SELECT count(*) FROM quality.quarantine")[0][0]
    assert sum(int(r[4][0].replace(",", "")) for r in by_file) == quarantined
    runs = sql(built, "SELECT run_id, count(*), count(*) FILTER (WHERE NOT success) FROM quality.validation_results "
                      "GROUP BY run_id ORDER BY min(validated_at) DESC, run_id DESC")
    history = table_rows(page, "dq-history")
    assert [(r[2][0], int(r[3][0].replace(",", ""))) for r in history] == [(run, n) for run, n, _ in runs][:30]
    failing = table_rows(page, "dq-failing")
    assert len(failing) == runs[0][2]
    reconciliation = table_rows(page, "dq-reconciliation")
    assert len(reconciliation) == sql(built, "SELECT count(*) FROM quality.reconciliation")[0][0]
    assert all(r[8][0] == "Yes" for r in reconciliation)
    scores = sql(built, "SELECT score FROM quality.scorecard WHERE source = 'overall' AND dimension = 'overall'")
    assert f"{scores[0][0] * 100:.1f}%" in page
    loaded = sql(built, "SELECT count(*) FROM raw.load_log WHERE status = 'loaded'")[0][0]
    assert sum(int(r[1][0]) for r in table_rows(page, "dq-load-log")) == loaded
    assert page.count(plotly_script()) == 1


def test_data_from_the_warehouse_is_escaped(built, tmp_path):
    copy = tmp_path / "warehouse.duckdb"
    shutil.copy(built.warehouse_path, copy)
    with duckdb.connect(str(copy)) as conn:
        vip = conn.execute("SELECT customer_id FROM analytics.key_accounts WHERE grade = 'VIP' "
                           "ORDER BY score_rank LIMIT 1").fetchall()[0][0]
        watched = conn.execute("SELECT customer_id FROM analytics.churn_scores WHERE risk_tier = 'high' "
                               "ORDER BY value_at_risk DESC, customer_id LIMIT 1").fetchall()[0][0]
        conn.execute("UPDATE analytics.key_accounts SET company = ?, owner = ? WHERE customer_id IN (?, ?)",
                     [XSS, XSS, vip, watched])
        conn.execute("UPDATE analytics.next_best_actions SET company = ?, owner = ?, reason_en = ?, reason_zh = ? "
                     "WHERE customer_id = ?", [XSS, XSS, XSS, XSS, watched])
        conn.execute("UPDATE analytics.churn_scores SET top_reasons = ?, top_reasons_zh = ? WHERE customer_id = ?",
                     [XSS, XSS, watched])
        conn.execute("UPDATE quality.quarantine SET source_file = ? WHERE rowid = (SELECT min(rowid) "
                     "FROM quality.quarantine)", [XSS])
        conn.execute("INSERT INTO quality.file_rejections (source, source_file, file_hash, error, rejected_at) "
                     "VALUES ('crm', ?, 'h', ?, TIMESTAMP '2026-06-30 08:00:00')", [XSS, XSS])
        pages = render_all(conn)
    for stem, by_language in pages.items():
        for language, page in by_language.items():
            assert XSS not in page, (stem, language)
            assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page, (stem, language)


def test_no_placeholder_value_or_machine_path_is_shown(pages):
    problems = [f"{stem}.{language}: {found}" for stem, by_language in pages.items()
                for language, html in by_language.items() for found in placeholders(html) + absolute_paths(html)]
    assert not problems, problems


def test_no_raw_phone_number_or_email_address_in_any_page(pages):
    bundle = plotly_script()
    for stem, by_language in pages.items():
        for language, page in by_language.items():
            text = page.replace(bundle, "")  # the bundled library, not data
            assert not re.search(RAW_EMAIL_PATTERN, text), (stem, language, re.search(RAW_EMAIL_PATTERN, text))
            for pattern in RAW_PHONE_PATTERNS:
                assert not re.search(pattern, text), (stem, language, re.search(pattern, text))
    assert re.search(r"1[3-9][0-9]\*{4}[0-9]{4}", pages["key_accounts"]["en"])  # masked phones are there


def test_pages_are_identical_when_rendered_twice_and_small(built, pages):
    with duckdb.connect(built.warehouse_path, read_only=True) as conn:
        again = render_all(conn)
    assert again == pages
    for by_language in pages.values():
        for page in by_language.values():
            assert len(page.encode("utf-8")) < 10_000_000


# --- in a real browser --------------------------------------------------------------------------------------


def test_sort_and_filter_in_a_browser(pages, tmp_path):
    playwright_api = pytest.importorskip("playwright.sync_api")
    from pipelines.tools.screenshot import CHROMIUM_PATH, launch_chromium, offline_only

    if not Path(CHROMIUM_PATH).exists():
        pytest.skip("no Chromium")
    page_file = tmp_path / "key_accounts.en.html"
    page_file.write_text(pages["key_accounts"]["en"], encoding="utf-8")
    watch_file = tmp_path / "churn_watchlist.en.html"
    watch_file.write_text(pages["churn_watchlist"]["en"], encoding="utf-8")
    rows = table_rows(pages["key_accounts"]["en"], "key-accounts")
    with playwright_api.sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        try:
            page = browser.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.route("**/*", offline_only)
            page.goto(page_file.as_uri())
            counter = '[data-counter="key-accounts"]'
            assert page.text_content(counter) == f"Showing {len(rows)} of {len(rows)} accounts"
            page.select_option('select[data-col="5"]', "VIP")
            vip = sum(r[5][0] == "VIP" for r in rows)
            assert page.text_content(counter) == f"Showing {vip} of {len(rows)} accounts"
            page.check('input[type="checkbox"]')
            vip_overdue = sum(r[5][0] == "VIP" and r[15][1]["data-value"] == "1" for r in rows)
            assert page.text_content(counter) == f"Showing {vip_overdue} of {len(rows)} accounts"
            page.uncheck('input[type="checkbox"]')
            page.select_option('select[data-col="5"]', "")
            page.fill('input[type="search"]', rows[0][2][0])
            by_owner = sum(rows[0][2][0] in (r[0][0] + r[2][0] + r[3][0]) for r in rows)
            assert page.text_content(counter) == f"Showing {by_owner} of {len(rows)} accounts"
            page.fill('input[type="search"]', "")
            page.click("#key-accounts thead th:nth-child(8)")  # revenue, largest first
            shown = page.eval_on_selector_all("#key-accounts tbody tr",
                                              "rs => rs.map(r => r.cells[7].getAttribute('data-sort'))")
            assert [float(v) for v in shown] == sorted((float(r[7][1]["data-sort"]) for r in rows), reverse=True)
            page.click("#key-accounts thead th:nth-child(8)")
            shown = page.eval_on_selector_all("#key-accounts tbody tr",
                                              "rs => rs.map(r => r.cells[7].getAttribute('data-sort'))")
            assert [float(v) for v in shown] == sorted(float(r[7][1]["data-sort"]) for r in rows)
            page.click("#key-accounts thead th:nth-child(12)")  # last contact, oldest first, empty last
            shown = page.eval_on_selector_all("#key-accounts tbody tr",
                                              "rs => rs.map(r => r.cells[11].getAttribute('data-sort'))")
            dated = [v for v in shown if v]
            assert dated == sorted(dated) and shown == dated + [""] * (len(shown) - len(dated))
            page.emulate_media(media="print")
            assert not page.is_visible(".toolbar")
            page.emulate_media(media="screen")

            page.goto(watch_file.as_uri())
            page.select_option('select[data-col="11"]', "control_no_action")
            shown = page.eval_on_selector_all("#watchlist tbody tr:not([hidden])",
                                              "rs => rs.map(r => r.className)")
            assert shown and set(shown) == {"control"}
            assert errors == []
        finally:
            browser.close()


def test_long_key_account_lists_open_one_page_at_a_time(built, tmp_path):
    playwright_api = pytest.importorskip("playwright.sync_api")
    from pipelines.tools.screenshot import CHROMIUM_PATH, launch_chromium, offline_only

    if not Path(CHROMIUM_PATH).exists():
        pytest.skip("no Chromium")
    with duckdb.connect(built.warehouse_path, read_only=True) as conn:
        html = render_all(conn, {"reports": {"key_accounts_page_size": 25}})["key_accounts"]["en"]
    total = len(table_rows(html, "key-accounts"))
    assert total >= 60 and html.count("<tr hidden>") == total - 25   # hidden before any script runs
    page_file = tmp_path / "key_accounts.en.html"
    page_file.write_text(html, encoding="utf-8")
    visible = "() => [...document.querySelectorAll('#key-accounts tbody tr')].filter(r => !r.hidden).length"
    with playwright_api.sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        try:
            page = browser.new_page()
            page.route("**/*", offline_only)
            page.goto(page_file.as_uri())
            assert page.evaluate(visible) == 25
            assert page.text_content('[data-counter="key-accounts"]') == f"Showing 25 of {total} accounts"
            page.click('[data-more="key-accounts"]')
            assert page.evaluate(visible) == 50
            page.click("#key-accounts thead th:nth-child(8)")           # sorting keeps the page length
            assert page.evaluate(visible) == 50
            page.click('[data-all="key-accounts"]')
            assert page.evaluate(visible) == total
            assert not page.is_visible('[data-more="key-accounts"]')
        finally:
            browser.close()
