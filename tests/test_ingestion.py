"""Ingestion into raw.*: exactly once per file content, atomic per file, bad files rejected by name."""

import os
import shutil
from datetime import datetime
from pathlib import Path

import duckdb
import pytest

from assets.ingest.export_kinds import load_export_kinds
from assets.ingest.loader import load_export_kind
from assets.staging.build import build_staging_table
from assets.staging.specs import SPECS
from tests.inbox_builders import four_source_inbox, write_csv

KINDS = load_export_kinds()
SALES = KINDS["sales_order_lines"]
CRM = [k for k in KINDS.values() if k.source == "crm"]


def load_sales(conn, inbox: Path):
    return load_export_kind(conn, inbox, SALES, [SALES])


@pytest.fixture
def conn():
    connection = duckdb.connect()
    for schema in ("raw", "quality"):
        connection.execute(f"CREATE SCHEMA {schema}")
    yield connection
    connection.close()


def count(conn, table: str) -> int:
    return conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


def test_loading_the_same_file_twice_adds_nothing(conn, tmp_path):
    four_source_inbox(tmp_path)
    first = load_sales(conn, tmp_path)
    second = load_sales(conn, tmp_path)
    assert first.rows_loaded == 5 and count(conn, "raw.sales_order_lines") == 5
    assert second.rows_loaded == 0 and second.already_loaded == ["sales/orders.csv"]


def test_a_copy_under_another_name_is_a_duplicate_delivery(conn, tmp_path):
    four_source_inbox(tmp_path)
    shutil.copy(tmp_path / "sales" / "orders.csv", tmp_path / "sales" / "orders (1).csv")
    report = load_sales(conn, tmp_path)
    assert count(conn, "raw.sales_order_lines") == 5
    # files load in name order, so the copy "orders (1).csv" (a space sorts before ".") loads first
    assert report.files_loaded == ["sales/orders (1).csv"]
    assert report.duplicate_deliveries == ["sales/orders.csv"]
    assert load_sales(conn, tmp_path).duplicate_deliveries == []  # logged once, not on every run


def test_a_changed_file_is_loaded_again_with_its_new_hash(conn, tmp_path):
    path = write_csv(tmp_path / "sales" / "o.csv", ["客户编码", "下单时间", "金额"], [["C1", "2025-01-01", "10"]])
    load_sales(conn, tmp_path)
    write_csv(path, ["客户编码", "下单时间", "金额"], [["C1", "2025-01-01", "10"], ["C2", "2025-01-02", "5"]])
    assert load_sales(conn, tmp_path).rows_loaded == 2
    assert conn.execute("SELECT count(DISTINCT _file_hash) FROM raw.sales_order_lines").fetchone()[0] == 2


def test_lineage_columns_point_at_file_and_row(conn, tmp_path):
    four_source_inbox(tmp_path)
    load_export_kind(conn, tmp_path, KINDS["crm_accounts"], CRM, now=datetime(2026, 1, 1))
    rows = conn.execute(
        "SELECT _source_file, _row_number, company, length(_file_hash), _loaded_at FROM raw.crm_accounts "
        "ORDER BY _row_number"
    ).fetchall()
    assert rows[0] == ("crm/客户列表.csv", 2, "杭州瑞达科技有限公司", 64, datetime(2026, 1, 1))
    assert [r[1] for r in rows] == [2, 3, 4]


def test_files_of_other_kinds_in_the_same_folder_are_left_alone(conn, tmp_path):
    four_source_inbox(tmp_path)
    write_csv(tmp_path / "crm" / "跟进记录.csv", ["客户ID", "跟进方式", "跟进时间"], [["FX-1", "电话", "2025-01-01"]])
    load_export_kind(conn, tmp_path, KINDS["crm_accounts"], CRM)
    load_export_kind(conn, tmp_path, KINDS["crm_interactions"], CRM)
    assert count(conn, "raw.crm_accounts") == 3
    assert count(conn, "raw.crm_interactions") == 1


def test_unreadable_file_is_rejected_by_name_and_others_still_load(conn, tmp_path):
    four_source_inbox(tmp_path)
    write_csv(tmp_path / "sales" / "bad export.csv", ["Customer ID", "Order Date"], [["C1", "2025-01-01"]])
    report = load_sales(conn, tmp_path)
    assert "sales/bad export.csv" in report.rejected
    assert "missing required column(s) ['amount']" in report.rejected["sales/bad export.csv"]
    assert count(conn, "raw.sales_order_lines") == 5
    assert conn.execute("SELECT source_file FROM quality.file_rejections").fetchall() == [("sales/bad export.csv",)]


def test_a_failure_while_inserting_leaves_nothing_half_loaded(conn, tmp_path, monkeypatch):
    four_source_inbox(tmp_path)
    write_csv(tmp_path / "sales" / "z_second.csv", ["客户编码", "下单时间", "金额"], [["C9", "2025-01-01", "1"]])
    import assets.ingest.loader as loader

    original = loader._log_status
    calls = {"n": 0}

    def fail_on_second_file(*args):
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt("killed")
        return original(*args)

    monkeypatch.setattr(loader, "_log_status", fail_on_second_file)
    with pytest.raises(KeyboardInterrupt):
        load_sales(conn, tmp_path)
    monkeypatch.setattr(loader, "_log_status", original)
    assert count(conn, "raw.sales_order_lines") == 5  # first file complete, second not started
    load_sales(conn, tmp_path)
    assert count(conn, "raw.sales_order_lines") == 6
    assert count(conn, "raw.load_log") == 2


def test_missing_source_folder_is_normal(conn, tmp_path):
    report = load_sales(conn, tmp_path)
    assert report.rows_loaded == 0 and count(conn, "raw.sales_order_lines") == 0


class KilledAtLogEntry:
    """A connection that dies right after the rows were inserted, before the load was logged."""

    def __init__(self, conn):
        self._conn = conn

    def execute(self, sql, *args):
        if getattr(sql, "query", sql).strip().startswith("INSERT INTO raw.load_log"):
            raise KeyboardInterrupt("killed mid-transaction")
        return self._conn.execute(sql, *args)

    def __getattr__(self, name):
        return getattr(self._conn, name)


def test_a_kill_inside_the_transaction_rolls_the_file_back(conn, tmp_path):
    four_source_inbox(tmp_path)
    with pytest.raises(KeyboardInterrupt):
        load_sales(KilledAtLogEntry(conn), tmp_path)
    assert count(conn, "raw.sales_order_lines") == 0
    assert load_sales(conn, tmp_path).rows_loaded == 5
    assert count(conn, "raw.sales_order_lines") == 5


# --- the inbox scan: every file classified once per version, errors contained -------------------------

ALL = list(KINDS.values())
OLD = datetime(2025, 9, 1).timestamp()
HEADER = ["订单编号", "客户编码", "下单时间", "金额"]


def load_all(conn, inbox: Path, **kwargs):
    return {k.name: load_export_kind(conn, inbox, k, ALL, **kwargs) for k in ALL}


def test_a_same_size_rewrite_right_after_a_load_is_noticed(conn, tmp_path):
    path = write_csv(tmp_path / "sales" / "o.csv", HEADER, [["O1", "C1", "2025-01-01", "10"]])
    load_sales(conn, tmp_path)
    write_csv(path, HEADER, [["O1", "C1", "2025-01-01", "12"]])  # same size, same second
    assert load_sales(conn, tmp_path).rows_loaded == 1
    assert conn.execute("SELECT count(DISTINCT _file_hash) FROM raw.sales_order_lines").fetchone()[0] == 2


def test_an_unchanged_file_is_not_read_again(conn, tmp_path, monkeypatch):
    import assets.ingest.inbox as inbox

    path = write_csv(tmp_path / "sales" / "o.csv", HEADER, [["O1", "C1", "2025-01-01", "10"]])
    os.utime(path, (OLD, OLD))
    load_all(conn, tmp_path)
    hashed = []
    monkeypatch.setattr(inbox, "file_sha256", lambda p: hashed.append(p) or "x")
    assert load_all(conn, tmp_path)["sales_order_lines"].already_loaded == ["sales/o.csv"]
    assert hashed == []


def test_any_error_while_reading_one_file_is_contained(conn, tmp_path, monkeypatch):
    import assets.ingest.loader as loader

    write_csv(tmp_path / "sales" / "a.csv", HEADER, [["O1", "C1", "2025-01-01", "10"]])
    write_csv(tmp_path / "sales" / "b.csv", HEADER, [["O2", "C2", "2025-01-01", "10"]])
    original = loader.read_export

    def explode(path, *args, **kwargs):
        if path.name == "a.csv":
            raise RuntimeError(f"parser crashed on {path.resolve()}")
        return original(path, *args, **kwargs)

    monkeypatch.setattr(loader, "read_export", explode)
    report = load_sales(conn, tmp_path)
    assert report.files_loaded == ["sales/b.csv"]
    error = report.rejected["sales/a.csv"]
    assert error.startswith("sales/a.csv: could not be read (RuntimeError: parser crashed on sales/a.csv)")
    assert str(tmp_path) not in error
    assert conn.execute("SELECT source_file, kind FROM quality.file_rejections").fetchall() == [
        ("sales/a.csv", "sales_order_lines")]


def test_a_rejected_file_that_loads_after_an_alias_is_added_is_no_longer_rejected(conn, tmp_path):
    write_csv(tmp_path / "sales" / "o.csv", ["Kundennummer", "下单时间", "金额"], [["C1", "2025-01-01", "10"]])
    assert "sales/o.csv" in load_sales(conn, tmp_path).rejected
    aliases = tmp_path.parent / f"{tmp_path.name}-aliases.toml"  # outside the inbox
    aliases.write_text('[kinds.sales_order_lines.columns]\ncustomer_code = ["Kundennummer"]\n', encoding="utf-8")
    sales = load_export_kinds(aliases)["sales_order_lines"]
    assert load_export_kind(conn, tmp_path, sales, [sales]).rows_loaded == 1
    assert count(conn, "quality.file_rejections") == 0


def test_files_anywhere_are_recognised_by_their_header(conn, tmp_path):
    write_csv(tmp_path / "orders.csv", HEADER, [["O1", "C1", "2025-01-01", "10"]])
    write_csv(tmp_path / "export" / "客户.csv", ["客户ID", "公司名称"], [["FX-9", "某公司"]])
    reports = load_all(conn, tmp_path)
    assert reports["sales_order_lines"].files_loaded == ["orders.csv"]
    assert reports["crm_accounts"].files_loaded == ["export/客户.csv"]
    statuses = conn.execute("SELECT source_file, source, status, kind FROM raw.inbox_files ORDER BY 1").fetchall()
    assert statuses == [("export/客户.csv", "unknown", "export", "crm_accounts"),
                        ("orders.csv", "unknown", "export", "sales_order_lines")]


def staged_amounts(conn, inbox: Path) -> dict[str, str]:
    load_sales(conn, inbox)
    conn.execute("CREATE SCHEMA IF NOT EXISTS staging")
    build_staging_table(conn, SPECS["sales_order_lines"])
    return {o: str(a) for o, a in conn.execute("SELECT order_id, amount FROM staging.sales_order_lines").fetchall()}


def test_within_one_delivery_the_file_modified_later_wins_whatever_its_name(conn, tmp_path):
    newer = write_csv(tmp_path / "sales" / "a_corrected.csv", HEADER, [["O1", "C1", "2025-01-01", "12"]])
    older = write_csv(tmp_path / "sales" / "z_original.csv", HEADER, [["O1", "C1", "2025-01-01", "10"]])
    os.utime(older, (OLD, OLD))
    os.utime(newer, (OLD + 60, OLD + 60))
    assert staged_amounts(conn, tmp_path) == {"O1": "12.00"}


def test_files_modified_at_the_same_instant_go_by_the_version_in_their_name(conn, tmp_path):
    second = write_csv(tmp_path / "sales" / "orders (2).csv", HEADER, [["O1", "C1", "2025-01-01", "12"]])
    first = write_csv(tmp_path / "sales" / "orders.csv", HEADER, [["O1", "C1", "2025-01-01", "10"]])
    for path in (first, second):
        os.utime(path, (OLD, OLD))
    assert staged_amounts(conn, tmp_path) == {"O1": "12.00"}
    by_file = conn.execute("SELECT source_file, rows_read, rows_staged, rows_collapsed FROM "
                           "quality.reconciliation_by_file ORDER BY 1").fetchall()
    assert by_file == [("sales/orders (2).csv", 1, 1, 0), ("sales/orders.csv", 1, 0, 1)]
