"""Bad input: each case gives a message naming file, row and column, and either quarantines the bad
rows or rejects the file whole, never touching what was loaded before."""

from datetime import date
from pathlib import Path

import pytest
import xlsxwriter

from tests.conftest import materialize_layers, query
from tests.inbox_builders import minimal_sales_inbox, write_csv

SALES_HEADER = ["Customer ID", "Order Date", "Amount"]


def ingest(paths):
    return materialize_layers(paths, "raw", "staging")


@pytest.fixture
def loaded(paths):
    """An installation that already loaded a good minimal sales export (4 rows)."""
    minimal_sales_inbox(Path(paths.inbox_dir))
    assert ingest(paths).success
    return paths


def sales_rows(paths) -> int:
    return query(paths, "SELECT count(*) FROM raw.sales_order_lines WHERE _source_file = 'sales/orders.csv'")[0][0]


def check_result(result, name: str):
    """The evaluation of a check on raw/sales_order_lines in this run."""
    return next(
        e for e in result.get_asset_check_evaluations()
        if e.check_name == name and e.asset_key.path == ["raw", "sales_order_lines"]
    )


def rejections(paths) -> dict[str, str]:
    return dict(query(paths, "SELECT source_file, error FROM quality.file_rejections"))


def quarantine(paths, kind="sales_order_lines") -> list[tuple]:
    return query(paths, f"SELECT source_file, row_number, column_name, rule, raw_value FROM quality.quarantine "
                        f"WHERE kind = '{kind}' ORDER BY source_file, row_number, column_name")


def test_missing_required_column_rejects_the_file_and_keeps_earlier_data(loaded):
    write_csv(Path(loaded.inbox_dir) / "sales" / "no amount.csv", ["Customer ID", "Order Date"], [["C9", "2025-01-01"]])
    result = ingest(loaded)
    assert result.success
    error = rejections(loaded)["sales/no amount.csv"]
    assert "sales/no amount.csv, row 1" in error and "'amount'" in error
    assert sales_rows(loaded) == 4
    assert check_result(result, "all_files_readable").passed is False


def test_an_extra_column_is_reported_as_schema_drift_and_the_rest_loads(loaded):
    write_csv(Path(loaded.inbox_dir) / "sales" / "more.csv", [*SALES_HEADER, "Coupon Code"],
              [["C9", "2025-01-01", "10", "SPRING"]])
    result = ingest(loaded)
    drift = check_result(result, "no_schema_drift")
    assert drift.passed is False
    assert drift.metadata["unknown_columns"].value == {"sales/more.csv": ["Coupon Code"]}
    assert query(loaded, "SELECT count(*) FROM raw.sales_order_lines")[0][0] == 5


def test_a_renamed_column_is_mapped_by_its_alias(paths):
    header = ["客户编号", "下单日期", "成交金额"]
    write_csv(Path(paths.inbox_dir) / "sales" / "orders.csv", header, [["C1", "2025-01-01", "10"]])
    assert ingest(paths).success
    assert query(paths, "SELECT customer_code, order_date, amount FROM raw.sales_order_lines") == [
        ("C1", "2025-01-01", "10")
    ]


def test_wrong_types_and_unparseable_dates_are_quarantined_by_row_and_column(loaded):
    write_csv(Path(loaded.inbox_dir) / "sales" / "typos.csv", SALES_HEADER,
              [["C9", "2025-01-01", "abc"], ["C9", "2025-02-30", "10"], ["C9", "2025-01-03", "12"]])
    assert ingest(loaded).success
    assert quarantine(loaded) == [
        ("sales/typos.csv", 2, "amount", "not a number", "abc"),
        ("sales/typos.csv", 3, "order_date", "unparseable date", "2025-02-30"),
    ]
    assert query(loaded, "SELECT count(*) FROM staging.sales_order_lines")[0][0] == 5


def test_a_line_with_the_wrong_field_count_is_quarantined_by_row(loaded):
    path = Path(loaded.inbox_dir) / "sales" / "ragged.csv"
    path.write_text("Customer ID,Order Date,Amount\nC9,2025-01-01,10\nC9,2025-01-02,11,extra\nC9,2025-01-03\n"
                    "C9,2025-01-04,\"1,200\"\n", encoding="utf-8")
    assert ingest(loaded).success
    rows = quarantine(loaded)
    assert [(r[0], r[1], r[3]) for r in rows] == [
        ("sales/ragged.csv", 3, "malformed line: expected 3 fields, found 4"),
        ("sales/ragged.csv", 4, "malformed line: expected 3 fields, found 2"),
    ]
    assert rows[0][4] == "C9,2025-01-02,11,extra"
    amounts = query(loaded, "SELECT amount FROM staging.sales_order_lines WHERE _source_file = 'sales/ragged.csv' "
                            "ORDER BY _row_number")
    assert [str(a[0]) for a in amounts] == ["10.00", "1200.00"]
    assert query(loaded, "SELECT rows_read FROM raw.load_log WHERE source_file = 'sales/ragged.csv'") == [(4,)]


def test_an_unclosed_quote_rejects_the_file_naming_the_row(loaded):
    path = Path(loaded.inbox_dir) / "sales" / "broken.csv"
    path.write_text('Customer ID,Order Date,Amount\nC9,2025-01-01,10\nC9,"2025-01-02,11\nC9,2025-01-03,12\n',
                    encoding="utf-8")
    assert ingest(loaded).success
    error = rejections(loaded)["sales/broken.csv"]
    assert error.startswith("sales/broken.csv, row 3:") and "never closed" in error
    assert query(loaded, "SELECT count(*) FROM raw.sales_order_lines")[0][0] == 4


def test_a_truncated_file_quarantines_the_cut_line(loaded):
    path = Path(loaded.inbox_dir) / "sales" / "cut.csv"
    path.write_bytes(b"Customer ID,Order Date,Amount\nC9,2025-01-01,10\nC9,2025-0")
    assert ingest(loaded).success
    assert [(r[1], r[3]) for r in quarantine(loaded)] == [(3, "malformed line: expected 3 fields, found 2")]


def test_empty_and_zero_byte_files(loaded):
    write_csv(Path(loaded.inbox_dir) / "sales" / "header only.csv", SALES_HEADER, [])
    (Path(loaded.inbox_dir) / "sales" / "zero.csv").write_bytes(b"")
    assert ingest(loaded).success
    assert query(loaded, "SELECT rows_read, status FROM raw.load_log WHERE source_file = 'sales/header only.csv'") == [
        (0, "loaded")
    ]
    assert rejections(loaded)["sales/zero.csv"] == "sales/zero.csv, row 1: the file is empty (zero bytes)"
    assert sales_rows(loaded) == 4


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk"])
def test_every_supported_encoding_loads_chinese_text(paths, encoding):
    write_csv(Path(paths.inbox_dir) / "sales" / "订单.csv", ["客户编码", "客户名称", "下单时间", "金额"],
              [["C1", "杭州瑞达科技有限公司", "2024年8月22日", "1,234.50元"]], encoding=encoding)
    assert ingest(paths).success
    assert query(paths, "SELECT customer_name, order_date, amount FROM staging.sales_order_lines")[0][0] == (
        "杭州瑞达科技有限公司"
    )


def test_a_workbook_with_several_sheets_loads_each_with_its_sheet_name(paths):
    path = Path(paths.inbox_dir) / "sales" / "orders 2025.xlsx"
    path.parent.mkdir(parents=True)
    book = xlsxwriter.Workbook(str(path))
    sheets = (("上半年", [["C1", "2025-01-05", 100]]), ("下半年", [["C2", "2025-08-01", 50], ["C1", 45900, 20]]))
    for name, rows in sheets:
        sheet = book.add_worksheet(name)
        sheet.write_row(0, 0, SALES_HEADER)
        for i, row in enumerate(rows, start=1):
            sheet.write_row(i, 0, row)
    book.close()
    assert ingest(paths).success
    assert query(paths, "SELECT _sheet, _row_number, customer_code, order_date FROM staging.sales_order_lines "
                        "ORDER BY _sheet, _row_number") == [
        ("上半年", 2, "C1", date(2025, 1, 5)),
        ("下半年", 2, "C2", date(2025, 8, 1)),
        ("下半年", 3, "C1", date(2025, 8, 31)),
    ]


def test_file_names_with_spaces_quotes_and_chinese_characters(paths):
    name = "销售 'Q1' \"final\".csv"
    write_csv(Path(paths.inbox_dir) / "sales" / name, SALES_HEADER, [["C1", "2025-01-01", "abc"]])
    assert ingest(paths).success
    assert quarantine(paths) == [(f"sales/{name}", 2, "amount", "not a number", "abc")]


def test_a_corrected_redelivery_resolves_quarantined_rows(loaded):
    path = write_csv(Path(loaded.inbox_dir) / "sales" / "fix.csv", SALES_HEADER, [["C9", "2025-13-01", "10"]])
    assert ingest(loaded).success
    assert query(loaded, "SELECT resolved FROM quality.quarantine") == [(False,)]
    write_csv(path, SALES_HEADER, [["C9", "2025-01-13", "10"]])  # same name, corrected content
    assert ingest(loaded).success
    assert query(loaded, "SELECT resolved, resolved_by_file FROM quality.quarantine") == [(True, "sales/fix.csv")]
    assert query(loaded, "SELECT count(*) FROM staging.sales_order_lines WHERE customer_code = 'C9'") == [(1,)]


def test_an_extreme_outlier_is_quarantined_as_implausible(loaded):
    write_csv(Path(loaded.inbox_dir) / "sales" / "outlier.csv", SALES_HEADER, [["C9", "2025-01-01", "¥50,000,000"]])
    result = ingest(loaded)
    assert result.success
    # among ¥80-¥1,250 lines the default bound is its floor, ¥1,000,000 (see assets/staging/plausibility.py)
    [(file, row, column, rule, raw)] = [q for q in quarantine(loaded) if q[0] == "sales/outlier.csv"]
    assert (file, row, column, raw) == ("sales/outlier.csv", 2, "amount", "¥50,000,000")
    assert rule.startswith("implausible amount: more than ¥1,000,000") and "max_order_line_amount" in rule
    assert query(loaded, "SELECT count(*) FROM staging.sales_order_lines WHERE amount = 50000000")[0][0] == 0
