from pathlib import Path

import pytest
import xlsxwriter

from assets.ingest.export_kinds import ExportFormatError
from assets.ingest.readers import detect_encoding, read_export
from tests.inbox_builders import write_csv


def test_gbk_file_is_detected_and_decoded(tmp_path: Path):
    path = write_csv(tmp_path / "a.csv", ["客户ID", "公司名称"], [["FX-1", "杭州瑞达科技有限公司"]], encoding="gbk")
    assert detect_encoding(path) == "gb18030"
    table = read_export(path)[0]
    assert table.headers == ["客户ID", "公司名称"]
    assert table.frame["公司名称"].to_list() == ["杭州瑞达科技有限公司"]


def test_utf8_with_bom_header_has_no_bom(tmp_path: Path):
    path = write_csv(tmp_path / "a.csv", ["客户编码", "金额"], [["C1", "1"]], encoding="utf-8-sig")
    assert detect_encoding(path) == "utf-8-sig"
    assert read_export(path)[0].frame.columns == ["_row_number", "客户编码", "金额"]


def test_row_numbers_count_the_header_as_row_one(tmp_path: Path):
    path = write_csv(tmp_path / "a.csv", ["a"], [["x"], ["y"]])
    assert read_export(path)[0].frame["_row_number"].to_list() == [2, 3]


def test_values_stay_text(tmp_path: Path):
    path = write_csv(tmp_path / "a.csv", ["code", "amount"], [["007", "1,234.50"]])
    frame = read_export(path)[0].frame
    assert frame.row(0) == (2, "007", "1,234.50")


def test_zero_byte_file_is_reported_by_name(tmp_path: Path):
    path = tmp_path / "empty orders.csv"
    path.write_bytes(b"")
    with pytest.raises(ExportFormatError, match=r"empty orders\.csv, row 1: the file is empty"):
        read_export(path)


def test_every_sheet_of_a_workbook_is_read(tmp_path: Path):
    path = tmp_path / "tickets.xlsx"
    book = xlsxwriter.Workbook(str(path))
    for name, rows in (("2024", [["T1", "2024-01-02"]]), ("2025", [["T2", "2025-01-02"], ["T3", "45700"]])):
        sheet = book.add_worksheet(name)
        sheet.write_row(0, 0, ["Ticket ID", "Created Time"])
        for i, row in enumerate(rows, start=1):
            sheet.write_row(i, 0, row)
    book.add_worksheet("empty")
    book.close()
    tables = read_export(path)
    assert [t.sheet for t in tables] == ["2024", "2025"]
    assert tables[1].frame["Ticket ID"].to_list() == ["T2", "T3"]
    assert tables[1].frame["_row_number"].to_list() == [2, 3]
