"""A report that fails never stops the others: its pages say why, the index marks it, its status
check turns red, and the run goes on. The pipeline runs once on a small four-source inbox; each test
then rebuilds only the reports on its own copy of the warehouse."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import pytest
from dagster import AssetCheckSeverity, AssetKey, AssetSelection, DagsterInstance, materialize

from assets.analytics.churn import training as churn_training
from assets.analytics.churn.asset import CHURN_TABLES
from assets.common.settings import PathSettings
from assets.common.status import failure_status, read_status, record_status
from pipelines.definitions import ALL_ASSETS, ALL_CHECKS, build_resources
from reports.common.catalog import REPORTS
from reports.common.outcome import FAILED_PAGE, render_failure_pages
from reports.index.asset import STRINGS, published_reports, render_index_pages
from reports.key_accounts import asset as key_accounts_report
from reports.registry import REPORT_ASSETS
from tests.conftest import paths_under
from tests.inbox_builders import four_source_inbox
from tests.report_fixtures import (
    PUBLISHED_FILES,
    SOURCE_DATE_EPOCH,
    absolute_paths,
    build_upstream,
    copy_installation,
    index_entries,
    materialize_reports,
)

GENERATED_AT = datetime(2026, 1, 1, tzinfo=UTC)
CONTACT = "zhang.wei@example.com"


@pytest.fixture(scope="module")
def installation(tmp_path_factory) -> PathSettings:
    root = tmp_path_factory.mktemp("report-failures")
    four_source_inbox(root / "inbox")
    paths = paths_under(root)
    build_upstream(paths)
    return paths


def _read(folder: Path, name: str) -> str:
    return (folder / name).read_text(encoding="utf-8")


@pytest.fixture
def broken_key_accounts(monkeypatch, installation, tmp_path):
    """The key-account report's data query raises, with a machine path, a contact and markup in the text."""
    paths = copy_installation(installation, tmp_path / "run")

    def fail(*_args, **_kwargs):
        raise RuntimeError(f"cannot read {paths.warehouse_path} for {CONTACT}: <b>grade</b> missing")

    monkeypatch.setattr(key_accounts_report, "key_account_rows", fail)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", SOURCE_DATE_EPOCH)
    return paths


def test_a_failing_report_leaves_the_other_reports_and_the_index_written(broken_key_accounts):
    paths = broken_key_accounts
    instance = DagsterInstance.ephemeral()
    result = materialize_reports(paths, instance=instance)
    assert result.success
    latest = Path(paths.reports_dir) / "latest"
    with duckdb.connect(paths.warehouse_path, read_only=True) as conn:
        as_of = conn.execute("SELECT max(order_date) FROM staging.sales_order_lines").fetchone()[0]
        status = read_status(conn, "reports/key_accounts")
        others = [read_status(conn, f"reports/{e.stem}") for e in REPORTS if e.stem != "key_accounts"]
    for folder in (latest, Path(paths.reports_dir) / as_of.isoformat()):
        assert sorted(p.name for p in folder.glob("*.html")) == sorted(PUBLISHED_FILES)

    # The failed report's pages say, in their language, that it could not be generated, and why.
    for language in ("zh", "en"):
        page = _read(latest, f"key_accounts.{language}.html")
        assert f"<h2>{FAILED_PAGE[language]['heading']}</h2>" in page
        assert "RuntimeError: cannot read warehouse.duckdb for z***@example.com: &lt;b&gt;grade&lt;/b&gt;" in page
        assert CONTACT not in page and "<b>grade" not in page and not absolute_paths(page)
        assert '<meta name="report-status" content="failed">' in page
    assert _read(latest, "key_accounts.html") == _read(latest, "key_accounts.zh.html")
    # The other reports are whole.
    assert "<h2>1. Executive summary</h2>" in _read(latest, "management.en.html")
    for stem in ("management", "churn_watchlist", "data_quality"):
        assert 'content="failed"' not in _read(latest, f"{stem}.zh.html")

    # The index marks the failed report with the cause, in both languages, and links the others.
    for language in ("zh", "en"):
        entries = index_entries(_read(latest, f"index.{language}.html"))
        assert {stem: state for stem, (state, _) in entries.items()} == {
            "management": "ok", "key_accounts": "failed", "churn_watchlist": "ok", "data_quality": "ok"}
        shown = entries["key_accounts"][1]
        assert STRINGS[language]["failed"] in shown and "RuntimeError: cannot read warehouse.duckdb" in shown

    # Recorded in quality.asset_status and red in the UI; the others green.
    assert status.status == "failed" and "RuntimeError" in status.message_en
    assert all(s is not None and s.is_ok for s in others)
    checks = {e.check_name: e for e in result.get_asset_check_evaluations()}
    assert not checks["key_accounts_built_as_configured"].passed
    assert checks["key_accounts_built_as_configured"].severity == AssetCheckSeverity.ERROR
    assert all(checks[f"{e.stem}_built_as_configured"].passed for e in REPORTS if e.stem != "key_accounts")
    # The traceback is in the run log.
    logged = [entry.user_message for entry in instance.all_logs(result.run_id)]
    assert any("Traceback" in m and "RuntimeError: cannot read" in m for m in logged)


def test_the_failure_pages_are_byte_identical_between_runs(broken_key_accounts):
    paths = broken_key_accounts
    assert materialize_reports(paths).success
    latest = Path(paths.reports_dir) / "latest"
    first = {name: _read(latest, name) for name in PUBLISHED_FILES}
    assert materialize_reports(paths).success
    assert {name: _read(latest, name) for name in PUBLISHED_FILES} == first


def test_the_page_is_written_when_the_warehouse_cannot_be_reached(tmp_path, monkeypatch):
    """The warehouse's folder is a file: no connection opens, no status can be recorded, and still
    every report writes its pages (into the configured as-of date's folder) and the index lists them."""
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    paths = PathSettings(inbox_dir=str(tmp_path / "inbox"), warehouse_path=str(blocker / "warehouse.duckdb"),
                         reports_dir=str(tmp_path / "reports"), as_of="2026-03-31")
    result = materialize(REPORT_ASSETS, resources=build_resources(paths))
    assert result.success
    folder = Path(paths.reports_dir) / "2026-03-31"
    assert sorted(p.name for p in folder.glob("*.html")) == sorted(PUBLISHED_FILES)
    for entry in REPORTS:
        page = _read(folder, f"{entry.stem}.en.html")
        assert FAILED_PAGE["en"]["heading"] in page and "not-a-folder" in page
        assert not absolute_paths(page) and str(tmp_path) not in page
    index = _read(folder, "index.en.html")
    assert {state for state, _ in index_entries(index).values()} == {"failed"}
    assert STRINGS["en"]["warehouse_problem"] in index and str(tmp_path) not in index


def test_a_missing_report_is_listed_with_its_recorded_cause(tmp_path):
    """Plain functions: one page written, one failed page, one missing with a recorded failure, one
    missing without any."""
    as_of = date(2026, 3, 31)
    failed = failure_status("reports/churn_watchlist", ValueError("no such column: risk_tier"))
    pages = render_failure_pages("churn_watchlist", as_of, GENERATED_AT, "¥", failed)
    (tmp_path / "churn_watchlist.html").write_text(pages["zh"], encoding="utf-8")
    (tmp_path / "management.html").write_text(
        f'<!DOCTYPE html><meta name="generated-at" content="{GENERATED_AT.isoformat()}">', encoding="utf-8")
    recorded = {"key_accounts": failure_status("reports/key_accounts", OSError("disk full")), "data_quality": None}
    reports = published_reports(tmp_path, recorded)
    assert [(r["entry"].stem, r["state"]) for r in reports] == [
        ("management", "ok"), ("key_accounts", "missing"), ("churn_watchlist", "failed"), ("data_quality", "missing")]
    index = render_index_pages(as_of, GENERATED_AT, [], reports, "zh")
    en = index_entries(index["index.en.html"])
    assert "ValueError: no such column: risk_tier" in en["churn_watchlist"][1]
    assert "OSError: disk full" in en["key_accounts"][1]
    assert en["data_quality"][1].endswith(STRINGS["en"]["not_generated"])
    zh = index_entries(index["index.zh.html"])
    assert "本次运行未能计算（ValueError: no such column: risk_tier）" in zh["churn_watchlist"][1]
    assert zh["data_quality"][1].endswith(STRINGS["zh"]["not_generated"])
    # A missing report is not linked (the link would be broken); a failed one is (its page says why).
    assert 'href="data_quality.en.html"' not in index["index.en.html"]
    assert 'href="churn_watchlist.en.html"' in index["index.en.html"]
    assert re.search(r'data-report="management" data-status="ok"><a href="management.zh.html">',
                     index["index.zh.html"])


def test_a_failure_recorded_after_the_page_was_written_marks_it_failed(tmp_path):
    """A report whose older page is still in the folder but whose latest run failed to write is marked."""
    (tmp_path / "management.html").write_text('<meta name="generated-at" content="2026-01-01T00:00:00+00:00">',
                                              encoding="utf-8")
    with duckdb.connect() as conn:
        record_status(conn, failure_status("reports/management", PermissionError("read-only file system")), None)
        recorded = {"management": read_status(conn, "reports/management")}
    management = published_reports(tmp_path, recorded)[0]
    assert management["state"] == "failed"
    assert "PermissionError: read-only file system" in management["problem"]["en"]


def test_a_failing_prediction_leaves_every_report_written_with_its_cause(installation, tmp_path, monkeypatch):
    """The churn model's feature step raises mid-run: the churn assets still succeed (empty, status
    failed), everything downstream and every report page and the index are written, and the
    management report shows the cause where the churn sections would be."""
    paths = copy_installation(installation, tmp_path / "run")

    def fail(*_args, **_kwargs):
        raise RuntimeError(f"singular matrix in {paths.warehouse_path}")

    monkeypatch.setattr(churn_training, "build_features", fail)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", SOURCE_DATE_EPOCH)
    churn = AssetSelection.assets(*(AssetKey(["analytics", t]) for t in CHURN_TABLES))
    result = materialize([*ALL_ASSETS, *ALL_CHECKS], resources=build_resources(paths),
                         selection=churn.downstream().required_multi_asset_neighbors())
    assert result.success
    latest = Path(paths.reports_dir) / "latest"
    assert sorted(p.name for p in latest.glob("*.html")) == sorted(PUBLISHED_FILES)
    cause = {"en": "Could not be computed in this run (RuntimeError: singular matrix in warehouse.duckdb)",
             "zh": "本次运行未能计算（RuntimeError: singular matrix in warehouse.duckdb）"}
    for language in ("en", "zh"):
        page = _read(latest, f"management.{language}.html")
        assert 'class="notice failed"' in page and cause[language] in page, language
        assert not absolute_paths(page)
        entries = index_entries(_read(latest, f"index.{language}.html"))
        assert set(entries) == {e.stem for e in REPORTS}
    with duckdb.connect(paths.warehouse_path, read_only=True) as conn:
        assert read_status(conn, "analytics/churn_scores").status == "failed"
        assert conn.execute("SELECT count(*) FROM analytics.churn_scores").fetchall() == [(0,)]
