"""The hostile inbox (tests/hostile_inbox.py) on top of a 300-customer sample: the load succeeds,
every file ends in exactly one place, every file's rows are accounted for, and each defect the
tester found stays fixed."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from pipelines.tools.sample_data import generate
from reports.common.catalog import REPORTS
from tests.conftest import materialize_layers, paths_under
from tests.hostile_inbox import CASES, CORRECTED_AMOUNT, build_hostile_inbox, inbox_outcomes
from tests.test_end_to_end import run_pipeline

BLOCKING_CHECKS = {"rows_reconcile", "rows_reconcile_by_file", "gx_blocking"}


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    root = tmp_path_factory.mktemp("hostile")
    generate(root / "inbox", root / "truth", customers=300, seed=11)
    expected = build_hostile_inbox(root / "inbox")
    paths = paths_under(root)
    result = materialize_layers(paths, "raw", "staging")
    with duckdb.connect(paths.warehouse_path, read_only=True) as conn:
        yield root, expected, result, conn


def sql(conn, query: str, *params) -> list[tuple]:
    return conn.execute(query, list(params)).fetchall()


def test_the_builder_covers_at_least_39_classes_of_bad_input():
    assert len(CASES) >= 39
    assert len({case.__name__ for case in CASES}) == len(CASES)


def test_the_hostile_inbox_loads_and_every_blocking_check_passes(hostile):
    _, _, result, _ = hostile
    assert result.success
    evaluations = result.get_asset_check_evaluations()
    failing = [(e.asset_key.to_user_string(), e.check_name) for e in evaluations
               if e.check_name in BLOCKING_CHECKS and not e.passed]
    assert failing == []
    assert {e.check_name for e in evaluations} >= BLOCKING_CHECKS


def test_every_file_ends_in_exactly_one_place(hostile):
    root, expected, _, conn = hostile
    places = inbox_outcomes(conn)
    inbox = root / "inbox"
    on_disk = {p.relative_to(inbox).as_posix() for p in inbox.rglob("*") if p.is_file()}
    assert {file for file, _ in places} == on_disk  # every file is somewhere, nothing else is
    assert {unit: where for unit, where in places.items() if len(where) != 1} == {}
    for file in on_disk:  # a workbook is accounted sheet by sheet, or as a whole, never both
        sheets = {sheet for f, sheet in places if f == file}
        assert sheets == {None} or None not in sheets, file
    for unit, expect in expected.items():
        [(outcome, kind)] = places[unit]
        assert outcome == expect.outcome, (unit, places[unit])
        if expect.kind:
            assert kind == expect.kind, unit
        if expect.says:
            [(error,)] = sql(conn, "SELECT error FROM quality.file_rejections WHERE source_file = ? "
                                   "AND sheet IS NOT DISTINCT FROM ?", *unit)
            assert expect.says in error, (unit, error)


def test_every_sample_file_loads_beside_the_hostile_ones(hostile):
    root, _, _, conn = hostile
    manifest = json.loads((root / "truth" / "manifest.json").read_text())
    logged = {(f, k): (n, s) for f, k, n, s in sql(conn, "SELECT source_file, kind, sum(rows_read), "
                                                         "string_agg(DISTINCT status) FROM raw.load_log GROUP BY ALL")}
    for info in manifest["files"]:
        assert logged[(info["path"], info["kind"])][0] == info["rows"], info["path"]
        if info["copy_of"]:  # one of the two copies loaded, the other is a duplicate delivery
            statuses = {logged[(info["path"], info["kind"])][1], logged[(info["copy_of"], info["kind"])][1]}
            assert statuses == {"loaded", "duplicate_delivery"}, info["path"]


def test_accounting_balances_for_every_file_and_sheet(hostile):
    _, _, _, conn = hostile
    rows = sql(conn, "SELECT kind, source_file, sheet, rows_read, rows_staged, rows_quarantined, rows_collapsed, "
                     "rows_rejected FROM quality.reconciliation_by_file")
    assert len(rows) > 60
    for kind, file, sheet, read, staged, quarantined, collapsed, rejected in rows:
        assert read == staged + quarantined + collapsed + rejected, (kind, file, sheet)
    listed = {(file, sheet) for _, file, sheet, *_ in rows}
    places = inbox_outcomes(conn)
    accounted = {unit for unit, [(outcome, _)] in places.items() if outcome != "ignored"}
    assert accounted == listed
    two_amounts = [r for r in rows if r[1] == "sales/two_amounts.csv"]
    assert [(r[3], r[7]) for r in two_amounts] == [(3, 3)]  # a rejected file's rows are counted


# --- the defects the tester found, one test each -------------------------------------------------------


def test_one_bad_csv_no_longer_stops_the_sales_load(hostile):
    _, _, _, conn = hostile
    staged = dict(sql(conn, "SELECT _source_file, count(*) FROM staging.sales_order_lines GROUP BY ALL"))
    assert staged["sales/订单_unicode.txt"] == 3 and staged["sales/old_mac.csv"] == 3
    [(error,)] = sql(conn, "SELECT error FROM quality.file_rejections WHERE source_file = 'sales/备注引号.csv'")
    assert error.startswith("sales/备注引号.csv, row 1, column A ('\"备注')") and "never closed" in error
    assert sum(staged.values()) > 5000


def test_files_outside_the_four_folders_and_of_other_types_are_accounted_for(hostile):
    _, _, _, conn = hostile
    places = inbox_outcomes(conn)
    for unit in [("销售订单导出.csv", None), ("Sales/Orders.CSV", None), ("订单/2025-08.csv", None),
                 ("sales/orders.csv.gz", None), ("sales/orders_export", None)]:
        assert places[unit] == [("loaded", "sales_order_lines")], unit
    assert places[("sales/orders.json", None)] == [("rejected", "unknown")]
    reasons = dict(sql(conn, "SELECT source_file, reason FROM raw.inbox_files WHERE status = 'ignored'"))
    assert "Excel lock file" in reasons["sales/~$orders.xlsx"]
    assert "unfinished download" in reasons["sales/orders_0901.csv.crdownload"]


def test_an_unrecognised_sheet_no_longer_rejects_its_workbook(hostile):
    _, _, _, conn = hostile
    assert sql(conn, "SELECT count(*) FROM staging.sales_order_lines WHERE _source_file = 'sales/订单_带说明.xlsx' "
                     "AND _sheet = '订单'") == [(3,)]
    [(sheet, error)] = sql(conn, "SELECT sheet, error FROM quality.file_rejections "
                                 "WHERE source_file = 'sales/订单_带说明.xlsx'")
    assert sheet == "说明" and "[sheet 说明]" in error


def test_a_correction_delivered_with_the_original_wins(hostile):
    _, _, _, conn = hostile
    rows = sql(conn, "SELECT order_id, amount, _source_file FROM staging.sales_order_lines "
                     "WHERE order_id LIKE 'FIX-%' ORDER BY order_id")
    assert [(str(amount), file) for _, amount, file in rows] == [(CORRECTED_AMOUNT, "sales/订单_2025-08 更正.csv")] * 3
    modified = dict(sql(conn, "SELECT DISTINCT _source_file, _file_modified_at FROM raw.sales_order_lines "
                              "WHERE _source_file LIKE 'sales/订单_2025-08%'"))
    assert modified["sales/订单_2025-08 更正.csv"] > modified["sales/订单_2025-08.csv"]


def test_row_numbers_are_those_a_spreadsheet_shows_and_blank_rows_are_skipped(hostile):
    _, _, _, conn = hostile

    def row_numbers(file: str) -> list[int]:
        return [r[0] for r in sql(conn, "SELECT _row_number FROM raw.sales_order_lines WHERE _source_file = ? "
                                        "ORDER BY 1", file)]

    assert row_numbers("sales/blank_first_row.xlsx") == [3, 4, 5]  # header on row 2
    assert row_numbers("sales/erp_title.xlsx") == [5, 6, 7]  # title, export line, blank, header on row 4
    assert row_numbers("sales/erp_title.csv") == [5, 6, 7]
    assert row_numbers("sales/blank_rows.csv") == [2, 5, 6, 8]
    assert row_numbers("sales/blank_rows.xlsx") == [2, 5]
    logged = dict(sql(conn, "SELECT source_file, blank_rows FROM raw.load_log "
                            "WHERE source_file LIKE 'sales/blank_rows%'"))
    assert logged == {"sales/blank_rows.csv": 3, "sales/blank_rows.xlsx": 2}
    assert sql(conn, "SELECT count(*) FROM quality.quarantine WHERE source_file LIKE 'sales/blank%'") == [(0,)]
    assert sql(conn, "SELECT rows_read FROM raw.load_log WHERE source_file = 'sales/blank_rows.csv'") == [(4,)]


def test_messages_name_the_delimiter_the_real_row_and_no_machine_path(hostile):
    root, _, _, conn = hostile
    errors = dict(sql(conn, "SELECT source_file, error FROM quality.file_rejections"))
    assert "semicolon-separated" in errors["sales/库存.csv"]
    assert errors["sales/mixed_encoding.csv"].startswith("sales/mixed_encoding.csv, row 5, column D:")
    readings = dict(sql(conn, "SELECT source_file, reading FROM raw.load_log WHERE status = 'loaded'"))
    assert readings["sales/semicolon.csv"].startswith("text in UTF-8, semicolon-separated")
    assert readings["sales/订单_unicode.txt"].startswith("text in UTF-16 LE, tab-separated")
    texts = [*errors.values(), *readings.values()]
    texts += [r[0] for r in sql(conn, "SELECT coalesce(reason, '') FROM raw.inbox_files")]
    texts += [r[0] for r in sql(conn, "SELECT rule || coalesce(raw_value, '') FROM quality.quarantine")]
    assert not [t for t in texts if str(root) in t or str(root.resolve()) in t]


def test_totals_and_malformed_rows_are_quarantined_at_ingest(hostile):
    _, _, _, conn = hostile
    quarantined = sql(conn, "SELECT source_file, sheet, row_number, rule FROM quality.quarantine "
                            "WHERE stage = 'ingest' AND source_file IN ('sales/with_totals.xlsx', "
                            "'sales/with_totals.csv', 'sales/ragged.csv') ORDER BY ALL")
    assert quarantined == [
        ("sales/ragged.csv", None, 3, "malformed line: expected 6 fields, found 7"),
        ("sales/ragged.csv", None, 4, "malformed line: expected 6 fields, found 3"),
        ("sales/with_totals.csv", None, 5, "totals row (合计/Total), not a record"),
        ("sales/with_totals.xlsx", "订单", 5, "totals row (合计/Total), not a record"),
    ]


@pytest.mark.e2e
def test_the_readme_command_runs_on_the_hostile_inbox(hostile, tmp_path: Path):
    root, _, _, _ = hostile
    completed = run_pipeline(tmp_path, root / "inbox", "hostile")
    assert completed.returncode == 0, completed.stderr[-3000:]
    latest = tmp_path / "hostile-reports" / "latest"
    pages = [latest / "index.html"] + [latest / f"{r.stem}{suffix}" for r in REPORTS
                                       for suffix in (".html", ".zh.html", ".en.html")]
    assert [p.name for p in pages if not p.exists()] == []
    quality = (latest / "data_quality.en.html").read_text(encoding="utf-8")
    assert str(root) not in quality and str(root.resolve()) not in quality
