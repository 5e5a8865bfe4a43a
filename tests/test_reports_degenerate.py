"""Reports on degenerate data: every page (zh, en, default, index) is written and built as configured,
and no page shows "None", "nan", "NaT", "inf" or a machine path.

Inboxes that stress the pipeline (sales only, one customer, all amounts 0, one day of data, as-of
before the data) each run the pipeline once; warehouses with tables emptied, missing, or without
churn scores or CLV are copies of a four-source run. The reports are then materialised on their own.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest

from assets.common.settings import PathSettings
from tests.conftest import paths_under
from tests.inbox_builders import four_source_inbox, minimal_sales_inbox, write_csv
from tests.report_fixtures import (
    PUBLISHED_FILES,
    absolute_paths,
    build_upstream,
    copy_installation,
    index_entries,
    materialize_reports,
    placeholders,
)

HEADER = ["customer_id", "order_date", "quantity", "amount"]


def one_customer(inbox: Path) -> None:
    write_csv(inbox / "sales" / "orders.csv", HEADER,
              [["C1", "2025-01-05", "1", "100"], ["C1", "2025-03-05", "2", "50"], ["C1", "2025-06-01", "1", "80"]])


def all_amounts_zero(inbox: Path) -> None:
    write_csv(inbox / "sales" / "orders.csv", HEADER,
              [[f"C{i}", f"2025-{1 + i % 6:02d}-{10 + i:02d}", "1", "0"] for i in range(12)])


def one_day(inbox: Path) -> None:
    write_csv(inbox / "sales" / "orders.csv", HEADER, [[f"C{i}", "2025-05-05", "1", str(10 * i + 5)] for i in range(8)])


# Case → (inbox writer, as-of date).
PIPELINE_CASES: dict[str, tuple[Callable[[Path], object], str]] = {
    "sales_only": (minimal_sales_inbox, ""),
    "one_customer": (one_customer, ""),
    "all_amounts_zero": (all_amounts_zero, ""),
    "one_day": (one_day, ""),
    "as_of_before_the_data": (minimal_sales_inbox, "2024-06-30"),
    "four_sources": (four_source_inbox, ""),
}


def _tables(conn: duckdb.DuckDBPyConnection) -> list[tuple[str, str]]:
    return conn.execute("SELECT table_schema, table_name FROM information_schema.tables "
                        "WHERE table_type = 'BASE TABLE' ORDER BY 1, 2").fetchall()


def empty_tables(conn: duckdb.DuckDBPyConnection) -> None:
    for schema, name in _tables(conn):
        conn.execute(f'DELETE FROM "{schema}"."{name}"')


def no_tables(conn: duckdb.DuckDBPyConnection) -> None:
    for schema, name in _tables(conn):
        conn.execute(f'DROP TABLE "{schema}"."{name}"')


def no_churn_scores(conn: duckdb.DuckDBPyConnection) -> None:
    for name in ("churn_scores", "churn_model_metrics", "churn_calibration", "purchase_forecast_accuracy"):
        conn.execute(f"DROP TABLE IF EXISTS analytics.{name}")


def no_clv(conn: duckdb.DuckDBPyConnection) -> None:
    conn.execute("DROP TABLE IF EXISTS analytics.clv")
    conn.execute("DROP TABLE IF EXISTS analytics.clv_model_params")


# Case → how a copy of the four-source warehouse is changed.
CHANGED_CASES: dict[str, Callable[[duckdb.DuckDBPyConnection], None]] = {
    "empty_tables": empty_tables,
    "no_tables": no_tables,
    "no_churn_scores": no_churn_scores,
    "no_clv": no_clv,
}


@pytest.fixture(scope="module")
def installations(tmp_path_factory) -> Callable[[str], PathSettings]:
    """Case name → its installation with the reports materialised, built on first use."""
    built: dict[str, PathSettings] = {}

    def get(case: str) -> PathSettings:
        if case in built:
            return built[case]
        root = tmp_path_factory.mktemp(case)
        if case in PIPELINE_CASES:
            write_inbox, as_of = PIPELINE_CASES[case]
            write_inbox(root / "inbox")
            paths = paths_under(root, as_of=as_of)
            build_upstream(paths)
        else:
            paths = copy_installation(get("four_sources"), root)
            with duckdb.connect(paths.warehouse_path) as conn:
                CHANGED_CASES[case](conn)
        # The index's entries say whether each report was built (its status check is tested elsewhere).
        assert materialize_reports(paths, with_checks=False).success
        built[case] = paths
        return paths

    return get


@pytest.mark.parametrize("case", [*PIPELINE_CASES, *CHANGED_CASES])
def test_every_page_is_written_and_shows_no_placeholder(case, installations):
    paths = installations(case)
    latest = Path(paths.reports_dir) / "latest"
    assert sorted(p.name for p in latest.glob("*.html")) == sorted(PUBLISHED_FILES)
    problems = []
    for name in PUBLISHED_FILES:
        page = (latest / name).read_text(encoding="utf-8")
        problems += [f"{name}: {found}" for found in placeholders(page)]
        problems += [f"{name}: path {found}" for found in absolute_paths(page)]
        if str(Path(paths.warehouse_path).parent) in page:
            problems.append(f"{name}: shows the installation's folder")
    assert not problems, problems
    # Every report rendered (none fell back to its failure page), and the index says so.
    for language in ("zh", "en"):
        entries = index_entries((latest / f"index.{language}.html").read_text(encoding="utf-8"))
        assert {stem: state for stem, (state, _) in entries.items()} == dict.fromkeys(
            ("management", "key_accounts", "churn_watchlist", "data_quality"), "ok")
    for stem in ("management", "key_accounts", "churn_watchlist", "data_quality", "index"):
        assert (latest / f"{stem}.html").read_text("utf-8") == (latest / f"{stem}.zh.html").read_text("utf-8")


def test_as_of_before_the_data_is_reported_as_that_date(installations):
    paths = installations("as_of_before_the_data")
    dated = Path(paths.reports_dir) / "2024-06-30"
    assert sorted(p.name for p in dated.glob("*.html")) == sorted(PUBLISHED_FILES)
    page = (dated / "management.en.html").read_text(encoding="utf-8")
    assert "Data as of 30 Jun 2024" in page and "No complete month of data yet." in page
