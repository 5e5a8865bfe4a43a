import gzip
from pathlib import Path

import pytest
import xlsxwriter

from assets.ingest.csv_structure import parse_csv
from assets.ingest.export_kinds import ExportFormatError
from assets.ingest.readers import SheetProblem, detect_encoding, preview_export, read_export
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


# --- every shape of real export ----------------------------------------------------------------------

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
HEADER = "客户编码,下单时间,金额"
ROWS = ["C1,2025-01-01,10", "C2,2025-01-02,20"]


def read_one(path: Path, **kwargs):
    [table] = read_export(path, **kwargs)
    return table


def cells(table) -> list[tuple]:
    return table.frame.rows()


def test_excel_unicode_text_utf16_tab_crlf(tmp_path: Path):
    text = "\ufeff" + "\r\n".join([HEADER, *ROWS]).replace(",", "\t") + "\r\n"
    path = tmp_path / "u.txt"
    path.write_bytes(text.encode("utf-16-le"))
    table = read_one(path)
    assert table.headers == ["客户编码", "下单时间", "金额"]
    assert cells(table) == [(2, "C1", "2025-01-01", "10"), (3, "C2", "2025-01-02", "20")]
    assert table.reading.startswith("text in UTF-16 LE, tab-separated")


@pytest.mark.parametrize("line_end", ["\r", "\r\n", "\n"])
def test_every_line_end(tmp_path: Path, line_end: str):
    path = tmp_path / "a.csv"
    path.write_text(line_end.join([HEADER, *ROWS]) + line_end, encoding="utf-8", newline="")
    assert [r[:2] for r in cells(read_one(path))] == [(2, "C1"), (3, "C2")]


@pytest.mark.parametrize(("delimiter", "name"), [(";", "semicolon"), ("|", "pipe"), ("\t", "tab")])
def test_the_delimiter_is_sniffed_and_named(tmp_path: Path, delimiter: str, name: str):
    path = tmp_path / "a.csv"
    path.write_text("\n".join([HEADER, *ROWS]).replace(",", delimiter) + "\n", encoding="utf-8")
    table = read_one(path)
    assert table.headers == ["客户编码", "下单时间", "金额"] and f"{name}-separated" in table.reading


def test_excel_sep_line_names_the_delimiter_and_is_no_row(tmp_path: Path):
    path = tmp_path / "a.csv"
    path.write_text("sep=;\n" + "\n".join([HEADER, *ROWS]).replace(",", ";") + "\n", encoding="utf-8")
    assert cells(read_one(path))[0] == (2, "C1", "2025-01-01", "10")


def test_gzip_and_extensionless_text(tmp_path: Path):
    (tmp_path / "a.csv.gz").write_bytes(gzip.compress(("\n".join([HEADER, *ROWS]) + "\n").encode()))
    (tmp_path / "export").write_text("\n".join([HEADER, *ROWS]) + "\n", encoding="utf-8")
    assert cells(read_one(tmp_path / "a.csv.gz")) == cells(read_one(tmp_path / "export"))


def test_blank_rows_are_skipped_and_counted_and_rows_keep_their_numbers(tmp_path: Path):
    path = tmp_path / "a.csv"
    path.write_text("\n".join([HEADER, ROWS[0], "", ",,", " , ,\u3000", ROWS[1]]) + "\n", encoding="utf-8")
    table = read_one(path)
    assert [r[0] for r in cells(table)] == [2, 6] and table.blank_rows == 3 and table.malformed == ()


def test_trailing_delimiters_are_no_extra_fields(tmp_path: Path):
    path = tmp_path / "a.csv"
    path.write_text(HEADER + ",\n" + ROWS[0] + ",\n" + ROWS[1] + "\n", encoding="utf-8")
    table = read_one(path)
    assert len(cells(table)) == 2 and table.malformed == ()


def test_a_record_with_line_breaks_is_one_spreadsheet_row(tmp_path: Path):
    path = tmp_path / "a.csv"
    path.write_text(f'{HEADER}\nC1,"2025-01-01\nnote",10\n{ROWS[1]}\nC3,2025\n', encoding="utf-8")
    table = read_one(path)
    assert [r[0] for r in cells(table)] == [2, 3]
    assert [(m.row_number, m.rule) for m in table.malformed] == [(4, "malformed line: expected 3 fields, found 2")]


def test_the_header_row_can_be_below_title_lines(tmp_path: Path):
    path = tmp_path / "a.csv"
    path.write_text("销售明细表\n导出时间：2025-09-01,,\n\n" + "\n".join([HEADER, *ROWS]) + "\n", encoding="gbk")
    table = read_one(path, header_rows={None: 4})
    assert table.header_row == 4 and [r[0] for r in cells(table)] == [5, 6]


def test_a_totals_row_is_set_apart(tmp_path: Path):
    path = tmp_path / "a.csv"
    path.write_text("\n".join([HEADER, *ROWS, " 合计 ,,30"]) + "\n", encoding="utf-8")
    table = read_one(path)
    assert len(cells(table)) == 2
    assert [(m.row_number, m.rule) for m in table.malformed] == [(4, "totals row (合计/Total), not a record")]


def test_repeated_and_empty_headers_get_distinct_column_names(tmp_path: Path):
    path = tmp_path / "a.csv"
    path.write_text("备注,金额,备注,\nx,1,y,z\n", encoding="utf-8")
    table = read_one(path)
    assert table.headers == ["备注", "金额", "备注", ""]
    assert table.columns == ["备注", "金额", "备注 (C)", "(column D)"]


def test_a_mixed_encoding_names_the_row_and_column_of_the_bad_byte(tmp_path: Path):
    path = tmp_path / "m.csv"
    lines = [HEADER + ",客户名称", *[f"{r},杭州瑞达科技" for r in ROWS], "C3,2025-01-03,5,杭州瑞达科技"]
    body = "\n".join(lines) + "\n"
    path.write_bytes(body.encode() + "C4,2025-01-04,6,北京远景\n".encode("gbk"))
    with pytest.raises(ExportFormatError, match=r"^m\.csv, row 5, column D: the file is UTF-8 text up to here"):
        read_export(path)


def test_an_unbalanced_quote_in_the_header_names_row_and_column(tmp_path: Path):
    path = tmp_path / "q.csv"
    path.write_text('客户编码,"备注,金额\nC1,x,1\n', encoding="utf-8")
    with pytest.raises(ExportFormatError, match=r"row 1, column B \('\"备注'\): the header opens a quote"):
        read_export(path)


def test_parse_csv_on_both_paths_agrees():
    fast = parse_csv(b"a,b\n1,2\n\n3,4,\n", ",", "f")
    slow = parse_csv(b'a,b\n1,2\n\n3,"4\n",\n', ",", "f")  # a line break inside a value: the slow path
    assert fast.frame["_row_number"].to_list() == slow.frame["_row_number"].to_list() == [2, 4]
    assert fast.blank_rows == slow.blank_rows == 1


def test_a_sheet_starting_with_blank_rows_keeps_spreadsheet_row_numbers(tmp_path: Path):
    path = tmp_path / "b.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("订单")
    sheet.write_row(0, 0, ["销售订单"])
    sheet.write_row(2, 1, ["客户编码", "下单时间", "金额"])
    sheet.write_row(3, 1, ["C1", "2025-01-01", 5])
    sheet.write_row(5, 1, ["C2", "2025-01-02", 6])
    book.close()
    [preview] = preview_export(path, "b.xlsx").tables
    assert preview.rows[2] == ["", "客户编码", "下单时间", "金额"]
    table = read_one(path, header_rows={"订单": 3})
    assert cells(table) == [(4, None, "C1", "2025-01-01", "5"), (6, None, "C2", "2025-01-02", "6")]
    assert table.blank_rows == 1


def test_a_legacy_xls_workbook_is_read():
    [table] = read_export(FIXTURES / "legacy_orders.xls", header_rows={"销售订单": 1})
    assert table.headers[:2] == ["客户编码", "客户名称"] and table.frame.height == 3


def test_a_password_protected_workbook_is_named_without_machine_paths():
    path = FIXTURES / "password_protected.xlsx"
    with pytest.raises(ExportFormatError) as raised:
        read_export(path, label="sales/加密.xlsx")
    assert raised.value.args[0].startswith("sales/加密.xlsx: the workbook is password-protected")
    assert str(FIXTURES) not in str(raised.value)


def test_an_unreadable_sheet_is_a_problem_of_that_sheet_only(tmp_path: Path, monkeypatch):
    import assets.ingest.readers as readers

    path = tmp_path / "two.xlsx"
    book = xlsxwriter.Workbook(str(path))
    for name in ("good", "bad"):
        book.add_worksheet(name).write_row(0, 0, ["a"])
    book.close()
    original = readers._sheet_frame

    def failing(reader, sheet, rows):
        if sheet == "bad":
            raise RuntimeError(f"cell error in {path}")
        return original(reader, sheet, rows)

    monkeypatch.setattr(readers, "_sheet_frame", failing)
    tables = read_export(path, label="x/two.xlsx", header_rows={"good": 1, "bad": 1})
    assert [type(t).__name__ for t in tables] == ["ExportTable", "SheetProblem"]
    problem = tables[1]
    assert isinstance(problem, SheetProblem) and problem.message == (
        "x/two.xlsx, sheet 'bad': cannot be read (cell error in x/two.xlsx)")


@pytest.mark.parametrize(("text", "encoding", "expected"), [
    ("id,amount\nC1,100.00元\nC2,-2.50元\n", "gbk", "GBK (GB18030)"),  # GBK bytes that are valid UTF-8 too
    ("id,amount\nC1,100.00元\n", "utf-8", "UTF-8"),
    ("name,city\nRené,Жуковский\n", "utf-8", "UTF-8"),  # Latin and Cyrillic letters are real
    ("name\nשלום\nمرحبا\n", "utf-8", "UTF-8"),  # so are Hebrew and Arabic
])
def test_a_file_valid_in_both_utf8_and_gbk_is_read_in_the_plausible_one(
        tmp_path: Path, text: str, encoding: str, expected: str):
    path = tmp_path / "orders.csv"
    path.write_bytes(text.encode(encoding))
    table = read_export(path)[0]
    assert table.reading.startswith(f"text in {expected}")
    lines = text.splitlines()
    assert table.headers == lines[0].split(",")
    assert [table.frame[c][0] for c in table.columns] == lines[1].split(",")
