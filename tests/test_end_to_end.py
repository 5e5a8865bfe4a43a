"""The README command on generated sample exports: `python -m pipelines run`, as a user runs it."""

import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from pipelines.tools.sample_data import generate

pytestmark = pytest.mark.e2e

LAYER_TABLES = {
    "raw": {"sales_order_lines", "crm_accounts", "crm_interactions", "crm_opportunities", "service_tickets",
            "service_nps", "email_campaigns", "email_events", "load_log"},
    "staging": {"sales_order_lines", "crm_accounts", "service_tickets", "email_events"},
    "core": {"customers", "identity_map", "orders", "order_lines"},
    "analytics": {"customer_360"},
}


# When a row was loaded or rejected: the wall clock, the only column allowed to differ between runs.
CLOCK_COLUMNS = {"staging.sales_order_lines": "_loaded_at", "quality.quarantine": "loaded_at",
                 "quality.file_rejections": "rejected_at"}


def run_pipeline(tmp: Path, inbox: Path, name: str, **extra_env: str) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "CRM_INBOX_DIR": str(inbox),
        "CRM_WAREHOUSE_PATH": str(tmp / f"{name}.duckdb"),
        "CRM_REPORTS_DIR": str(tmp / f"{name}-reports"),
        "SOURCE_DATE_EPOCH": "1767225600",
        **extra_env,
    }
    env.pop("DAGSTER_HOME", None)
    return subprocess.run(
        [sys.executable, "-m", "pipelines", "run"], env=env, capture_output=True, text=True, timeout=600
    )


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("e2e")
    generate(root / "inbox", root / "truth", customers=300, seed=11)
    return root


def test_run_builds_every_layer_and_the_index(generated: Path):
    completed = run_pipeline(generated, generated / "inbox", "first")
    assert completed.returncode == 0, completed.stderr[-3000:]
    index = generated / "first-reports" / "latest" / "index.html"
    assert f"Reports:   {generated.resolve() / 'first-reports' / 'latest' / 'index.html'}" in completed.stdout
    assert index.exists()
    with duckdb.connect(str(generated / "first.duckdb"), read_only=True) as conn:
        for layer, expected in LAYER_TABLES.items():
            present = {r[0] for r in conn.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = ?", [layer]).fetchall()}
            assert expected <= present, (layer, expected - present)
        for table in ("raw.sales_order_lines", "raw.crm_accounts", "raw.service_tickets", "raw.email_events",
                      "core.orders", "analytics.customer_360"):
            assert conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0] > 0, table
        # the GBK file with Chinese headers and the workbook both arrived
        files = {r[0] for r in conn.execute("SELECT source_file FROM raw.load_log WHERE status = 'loaded'").fetchall()}
        assert any(f.startswith("crm/") and "fxiaoke" in f for f in files)
        assert any(f.endswith(".xlsx") for f in files)
        assert conn.execute("SELECT count(*) FROM raw.load_log WHERE status = 'duplicate_delivery'").fetchone()[0] >= 1


def test_same_exports_give_identical_tables_and_reports(generated: Path):
    first = run_pipeline(generated, generated / "inbox", "again-a")
    second = run_pipeline(generated, generated / "inbox", "again-b")
    assert first.returncode == 0 and second.returncode == 0
    tables = ["staging.sales_order_lines", "core.customers", "core.identity_map", "core.orders",
              "analytics.customer_360", "quality.quarantine", "analytics.clv", "analytics.churn_model_metrics",
              "analytics.churn_scores", "analytics.churn_calibration", "analytics.purchase_forecast_accuracy",
              "analytics.next_best_actions", "analytics.recommendations", "analytics.recommendation_metrics",
              "analytics.churn_unscored", "analytics.clv_model_params", "quality.asset_status",
              "quality.file_rejections", "quality.reconciliation_by_file", "quality.amount_bounds"]
    contents = []
    for name in ("again-a", "again-b"):
        with duckdb.connect(str(generated / f"{name}.duckdb"), read_only=True) as conn:
            contents.append({
                t: conn.execute(f"SELECT * EXCLUDE ({CLOCK_COLUMNS[t]}) FROM {t}" if t in CLOCK_COLUMNS
                                else f"SELECT * FROM {t}").fetchall()
                for t in tables
            })
    assert contents[0] == contents[1]
    assert contents[0]["analytics.churn_scores"], "the sample trains a churn model"
    for page in ("index.html", "management.zh.html", "management.en.html", "key_accounts.html",
                 "churn_watchlist.html"):
        page_a = (generated / "again-a-reports" / "latest" / page).read_bytes()
        page_b = (generated / "again-b-reports" / "latest" / page).read_bytes()
        assert page_a == page_b, page


def test_a_sales_only_inbox_runs(generated: Path, tmp_path: Path):
    inbox = tmp_path / "inbox"
    (inbox / "sales").mkdir(parents=True)
    for source in (generated / "inbox" / "sales").iterdir():
        (inbox / "sales" / source.name).write_bytes(source.read_bytes())
    completed = run_pipeline(tmp_path, inbox, "sales-only")
    assert completed.returncode == 0, completed.stderr[-3000:]
    with duckdb.connect(str(tmp_path / "sales-only.duckdb"), read_only=True) as conn:
        assert conn.execute("SELECT count(*) FROM raw.crm_accounts").fetchone()[0] == 0
        assert conn.execute("SELECT count(*) FROM analytics.customer_360 WHERE orders > 0").fetchone()[0] > 0
        # churn still trains on purchases alone; the CRM-based warning is empty, not false
        assert conn.execute("SELECT count(*) FROM analytics.churn_model_metrics WHERE is_shipped").fetchall()[0][0]
        assert conn.execute("SELECT count(*) FROM analytics.churn_scores WHERE interaction_drop IS NOT NULL"
                            ).fetchall()[0][0] == 0
