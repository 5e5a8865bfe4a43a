"""A hostile but realistic inbox: the exports real Chinese CRM/ERP systems, Excel and people
produce, each class of bad input one named function.

``build_hostile_inbox(inbox)`` writes every case (optionally on top of a generated sample) and
returns what must become of each file or sheet: ``{(file, sheet): Expect}``. Every file gets a fixed
modification time (the correction case two different ones), so the inbox is the same on every build.
"""

from __future__ import annotations

import csv
import gzip
import io
import os
import shutil
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import xlsxwriter

FIXTURES = Path(__file__).resolve().parent / "fixtures"
BASE_MTIME = datetime(2025, 9, 1, 8, 0, tzinfo=UTC).timestamp()
SALES_HEADER = ["订单编号", "行号", "客户编码", "客户名称", "下单时间", "金额"]
ACCOUNTS_HEADER = ["客户ID", "公司名称", "手机", "邮箱"]


@dataclass(frozen=True)
class Expect:
    """What must become of one file or sheet: loaded (as kind), duplicate, rejected (the reason
    containing ``says``) or ignored."""

    outcome: str
    kind: str | None = None
    says: str | None = None


Unit = tuple[str, str | None]  # (file relative to the inbox, sheet or None)
Case = Callable[[Path], dict[Unit, Expect]]
CASES: list[Case] = []


def case(function: Case) -> Case:
    """Register a class of hostile input."""
    CASES.append(function)
    return function


def one_file(name: str, path: str, content: Callable[[], bytes | str], expect: Expect, about: str = "") -> None:
    """Register a class of hostile input that is one file at ``path`` (relative to the inbox) with
    ``content``, which must end as ``expect``."""

    def function(inbox: Path) -> dict[Unit, Expect]:
        write(inbox, path, content())
        return {(path, None): expect}

    function.__name__ = function.__qualname__ = name
    function.__doc__ = about or None
    CASES.append(function)


def sales_rows(prefix: str, count: int = 3, day: int = 1) -> list[list[str]]:
    """Valid sales order lines with order ids ``<prefix>-<n>``."""
    return [[f"{prefix}-{i}", "1", f"H{i:03d}", "杭州瑞达科技有限公司", f"2025-08-{day + i:02d}", f"{100 + i}.50"]
            for i in range(count)]


def csv_text(header: list[str], rows: list[list[str]], delimiter: str = ",", line_end: str = "\n") -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator=line_end)
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def write(inbox: Path, relative: str, data: bytes | str, encoding: str = "utf-8") -> Path:
    path = inbox / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data.encode(encoding) if isinstance(data, str) else data)
    return path


def workbook(inbox: Path, relative: str, sheets: dict[str, list[list]], first_row: dict[str, int] | None = None,
             ) -> Path:
    """A workbook with one sheet per entry; a sheet's rows start at spreadsheet row first_row[sheet]
    (1 by default); None cells stay empty."""
    path = inbox / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    book = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False})
    for name, rows in sheets.items():
        sheet = book.add_worksheet(name)
        offset = (first_row or {}).get(name, 1) - 1
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                if value is not None:
                    sheet.write(offset + r, c, value)
    book.close()
    return path


def loaded(kind: str = "sales_order_lines") -> Expect:
    return Expect("loaded", kind)


def rejected(says: str) -> Expect:
    return Expect("rejected", says=says)


IGNORED = Expect("ignored")


# --- the three that stopped the whole sales load --------------------------------------------------


@case
def excel_unicode_text(inbox: Path) -> dict[Unit, Expect]:
    """Excel's "Unicode text": UTF-16 LE with byte-order mark, tab-separated, CRLF, .txt."""
    text = "\ufeff" + csv_text(SALES_HEADER, sales_rows("U16"), "\t", "\r\n")
    write(inbox, "sales/订单_unicode.txt", text.encode("utf-16-le"))
    return {("sales/订单_unicode.txt", None): loaded()}


one_file("cr_only_line_ends", "sales/old_mac.csv",
         lambda: csv_text(SALES_HEADER, sales_rows("CR"), line_end="\r"),
         loaded(),
         "Old Mac line ends: CR only.")


@case
def unbalanced_quote_in_header(inbox: Path) -> dict[Unit, Expect]:
    """A header that opens a quote it never closes: ``"备注``."""
    header = ['"备注', *SALES_HEADER]
    lines = [",".join(header), *[",".join(["x", *row]) for row in sales_rows("UQ")]]
    write(inbox, "sales/备注引号.csv", "\n".join(lines) + "\n")
    return {("sales/备注引号.csv", None): rejected("row 1, column A")}


# --- encodings, delimiters, line ends, containers ---------------------------------------------------


one_file("utf16_big_endian", "sales/orders_utf16be.csv",
         lambda: ("\ufeff" + csv_text(SALES_HEADER, sales_rows("BE"))).encode("utf-16-be"),
         loaded())


one_file("gbk_with_crlf", "sales/gbk_crlf.csv",
         lambda: csv_text(SALES_HEADER, sales_rows("GBK"), line_end="\r\n").encode("gbk"),
         loaded())


one_file("utf8_bom_on_gbk_text", "sales/bom_gbk.csv",
         lambda: b"\xef\xbb\xbf" + csv_text(SALES_HEADER, sales_rows("BG")).encode("gbk"),
         loaded(),
         "A UTF-8 byte-order mark in front of GBK text (tools that prepend it blindly).")


one_file("semicolon_separated", "sales/semicolon.csv",
         lambda: csv_text(SALES_HEADER, sales_rows("SC"), ";"),
         loaded(),
         "A European-locale Excel export: semicolons.")


one_file("semicolon_file_of_no_known_kind", "sales/库存.csv",
         lambda: csv_text(["仓库", "库存数量"], [["杭州仓", "12"]], ";"),
         rejected("semicolon-separated"),
         "A rejection of a semicolon file says how it was read.")


one_file("pipe_separated", "sales/pipe.txt", lambda: csv_text(SALES_HEADER, sales_rows("PP"), "|"), loaded())


one_file("tab_separated_with_csv_name", "sales/tabs.csv",
         lambda: csv_text(SALES_HEADER, sales_rows("TB"), "\t"),
         loaded())


one_file("gzip_compressed", "sales/orders.csv.gz",
         lambda: gzip.compress(csv_text(SALES_HEADER, sales_rows("GZ")).encode(), mtime=0),
         loaded())


one_file("no_extension", "sales/orders_export", lambda: csv_text(SALES_HEADER, sales_rows("NX")), loaded())


one_file("excel_sep_hint_line", "sales/sep_hint.csv",
         lambda: "sep=;\n" + csv_text(SALES_HEADER, sales_rows("SH"), ";"),
         loaded(),
         "Excel's ``sep=;`` first line naming the delimiter.")


@case
def nul_bytes(inbox: Path) -> dict[Unit, Expect]:
    """NUL padding at the end (a writer that crashed) and a NUL inside a value."""
    text = csv_text(SALES_HEADER, sales_rows("NUL")).replace("杭州", "杭\x00州", 1)
    write(inbox, "sales/nul_padded.csv", text.encode() + b"\x00" * 512)
    return {("sales/nul_padded.csv", None): loaded()}


@case
def cut_off_mid_character(inbox: Path) -> dict[Unit, Expect]:
    """A download cut in the middle of a Chinese character (the last line is incomplete)."""
    data = csv_text(SALES_HEADER, sales_rows("CUT")).encode() + "CUT-9,1,H009,杭州".encode()[:-1]
    write(inbox, "sales/cut.csv", data)
    return {("sales/cut.csv", None): loaded()}


@case
def mixed_encoding(inbox: Path) -> dict[Unit, Expect]:
    """A UTF-8 export with a GBK row pasted in at row 5."""
    data = csv_text(SALES_HEADER, sales_rows("MX")).encode() + "MX-9,1,H009,北京远景物流,2025-08-09,9\n".encode("gbk")
    write(inbox, "sales/mixed_encoding.csv", data)
    return {("sales/mixed_encoding.csv", None): rejected("row 5, column D")}


# --- files that are no exports, or no files to read ---------------------------------------------------


one_file("json_export", "sales/orders.json",
         lambda: '[{"客户编码": "H1", "金额": 5}]',
         rejected("JSON is not an export format"))


@case
def zip_archive(inbox: Path) -> dict[Unit, Expect]:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("orders.csv", csv_text(SALES_HEADER, sales_rows("ZIP")))
    write(inbox, "sales/exports.zip", buffer.getvalue())
    return {("sales/exports.zip", None): rejected("unpack it")}


@case
def pdf_and_image(inbox: Path) -> dict[Unit, Expect]:
    write(inbox, "sales/月报.pdf", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n")
    write(inbox, "sales/截图.png", b"\x89PNG\r\n\x1a\n" + bytes(64))
    return {("sales/月报.pdf", None): rejected("PDF"), ("sales/截图.png", None): rejected("image")}


one_file("html_saved_as_xls", "sales/web_export.xls",
         lambda: "<html><body><table><tr><td>客户编码</td></tr></table></body></html>",
         rejected("web page"),
         "A web system's 'Excel export' that is an HTML table named .xls.")


@case
def system_files(inbox: Path) -> dict[Unit, Expect]:
    write(inbox, ".DS_Store", b"\x00\x00\x00\x01Bud1")
    write(inbox, "sales/Thumbs.db", OLE_HEADER)
    write(inbox, "crm/desktop.ini", "[.ShellClassInfo]\n")
    return {(".DS_Store", None): IGNORED, ("sales/Thumbs.db", None): IGNORED, ("crm/desktop.ini", None): IGNORED}


OLE_HEADER = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504)


@case
def office_lock_files(inbox: Path) -> dict[Unit, Expect]:
    write(inbox, "sales/~$orders.xlsx", b"\x0bwangfang" + bytes(150))
    write(inbox, "sales/.~lock.orders.xlsx#", "王芳,PC-01,wangfang,01.09.2025 08:00,file:///C:/Users;")
    return {("sales/~$orders.xlsx", None): IGNORED, ("sales/.~lock.orders.xlsx#", None): IGNORED}


@case
def partial_downloads(inbox: Path) -> dict[Unit, Expect]:
    write(inbox, "sales/orders_0901.csv.crdownload", csv_text(SALES_HEADER, sales_rows("CRD"))[:40])
    write(inbox, "sales/orders_0902.csv.part", csv_text(SALES_HEADER, sales_rows("PRT"))[:40])
    return {("sales/orders_0901.csv.crdownload", None): IGNORED, ("sales/orders_0902.csv.part", None): IGNORED}


one_file("zero_byte_file", "sales/empty.csv", lambda: b"", rejected("the file is empty"))


one_file("header_only_file", "sales/header_only.csv", lambda: csv_text(SALES_HEADER, []), loaded())


# --- folders ---------------------------------------------------------------------------------------


one_file("file_in_inbox_root", "销售订单导出.csv", lambda: csv_text(SALES_HEADER, sales_rows("ROOT")), loaded())


@case
def chinese_folder_names(inbox: Path) -> dict[Unit, Expect]:
    write(inbox, "订单/2025-08.csv", csv_text(SALES_HEADER, sales_rows("CNF")))
    account = ["HX-1", "杭州瑞达科技有限公司", "13800138000", "a@b.cn"]
    write(inbox, "客户/名单.csv", csv_text(ACCOUNTS_HEADER, [account]))
    return {("订单/2025-08.csv", None): loaded(), ("客户/名单.csv", None): loaded("crm_accounts")}


one_file("folder_name_in_capitals", "Sales/Orders.CSV", lambda: csv_text(SALES_HEADER, sales_rows("CAP")), loaded())


@case
def unknown_folder(inbox: Path) -> dict[Unit, Expect]:
    """A folder no source is named like: kinds are recognised by header among all kinds."""
    write(inbox, "misc/工单导出.csv", csv_text(["工单编号", "创建时间", "满意度"], [["HT-1", "2025-08-01 09:00", "4"]]))
    write(inbox, "misc/说明.csv", csv_text(["说明", "内容"], [["导出", "八月"]]))
    return {("misc/工单导出.csv", None): loaded("service_tickets"),
            ("misc/说明.csv", None): rejected("match no export kind")}


@case
def ambiguous_file_in_root(inbox: Path) -> dict[Unit, Expect]:
    """Headers that fit two kinds equally (campaigns and NPS answers) outside any source folder."""
    write(inbox, "survey_campaign.csv", csv_text(["Campaign ID", "Campaign Name", "NPS", "Date"],
                                                 [["C1", "八月", "9", "2025-08-01"]]))
    return {("survey_campaign.csv", None): rejected("fit both")}


one_file("export_in_the_wrong_folder", "crm/销售明细.csv",
         lambda: csv_text(SALES_HEADER, sales_rows("WF")),
         rejected("belongs in the sales/ folder"))


one_file("nested_sub_folders", "sales/2025/08/第一周.csv", lambda: csv_text(SALES_HEADER, sales_rows("NEST")), loaded())


@case
def same_file_delivered_twice(inbox: Path) -> dict[Unit, Expect]:
    text = csv_text(SALES_HEADER, sales_rows("DUP"))
    write(inbox, "sales/dup_a.csv", text)
    write(inbox, "sales/dup_b.csv", text)
    return {("sales/dup_a.csv", None): loaded(), ("sales/dup_b.csv", None): Expect("duplicate", "sales_order_lines")}


# --- layout of the rows ------------------------------------------------------------------------------


@case
def title_rows_above_header_csv(inbox: Path) -> dict[Unit, Expect]:
    """A Chinese ERP export: report title, export time and a blank line above the header (GBK)."""
    lines = "销售订单明细表\n导出时间：2025-09-01 08:00,,,,,\n\n" + csv_text(SALES_HEADER, sales_rows("TTL"))
    write(inbox, "sales/erp_title.csv", lines, "gbk")
    return {("sales/erp_title.csv", None): loaded()}


@case
def title_rows_above_header_workbook(inbox: Path) -> dict[Unit, Expect]:
    rows = [["销售订单明细表"], ["导出人：王芳", None, "导出时间：2025-09-01"], [], SALES_HEADER, *sales_rows("TTX")]
    workbook(inbox, "sales/erp_title.xlsx", {"订单明细": rows})
    return {("sales/erp_title.xlsx", "订单明细"): loaded()}


@case
def sheet_starting_with_blank_row(inbox: Path) -> dict[Unit, Expect]:
    workbook(inbox, "sales/blank_first_row.xlsx", {"Sheet1": [SALES_HEADER, *sales_rows("BFR")]}, {"Sheet1": 2})
    return {("sales/blank_first_row.xlsx", "Sheet1"): loaded()}


@case
def blank_rows_between_data(inbox: Path) -> dict[Unit, Expect]:
    rows = sales_rows("BLK", 4)
    write(inbox, "sales/blank_rows.csv", csv_text(SALES_HEADER, [rows[0], [], ["", "", "", "", "", ""], rows[1],
                                                                 rows[2], [], rows[3]]))
    workbook(inbox, "sales/blank_rows.xlsx", {"订单": [SALES_HEADER, rows[0], [], [None, " "], rows[1]]})
    return {("sales/blank_rows.csv", None): loaded(), ("sales/blank_rows.xlsx", "订单"): loaded()}


@case
def totals_row(inbox: Path) -> dict[Unit, Expect]:
    """ERP exports end with a totals row: 合计 in the first column, sums in the amount column."""
    rows = sales_rows("TOT")
    workbook(inbox, "sales/with_totals.xlsx", {"订单": [SALES_HEADER, *rows, ["合计", None, None, None, None, 304.5]]})
    csv_rows = [*sales_rows("TOC"), ["总计", "", "", "", "", "304.5"]]
    write(inbox, "sales/with_totals.csv", csv_text(SALES_HEADER, csv_rows))
    return {("sales/with_totals.xlsx", "订单"): loaded(), ("sales/with_totals.csv", None): loaded()}


@case
def trailing_delimiters(inbox: Path) -> dict[Unit, Expect]:
    """Every line ends with a delimiter; the header has an empty last cell."""
    lines = [",".join([*SALES_HEADER, ""]), *[",".join([*row, ""]) for row in sales_rows("TRD")]]
    write(inbox, "sales/trailing_commas.csv", "\n".join(lines) + "\n")
    return {("sales/trailing_commas.csv", None): loaded()}


@case
def ragged_rows(inbox: Path) -> dict[Unit, Expect]:
    rows = sales_rows("RAG")
    lines = [",".join(SALES_HEADER), ",".join(rows[0]), ",".join([*rows[1], "多余"]), ",".join(rows[2][:3])]
    write(inbox, "sales/ragged.csv", "\n".join(lines) + "\n")
    return {("sales/ragged.csv", None): loaded()}


@case
def unclosed_quote_in_data(inbox: Path) -> dict[Unit, Expect]:
    rows = sales_rows("UCQ")
    lines = [",".join(SALES_HEADER), ",".join(rows[0]), ",".join(rows[1]).replace("杭州", '"杭州'), ",".join(rows[2])]
    write(inbox, "sales/unclosed_quote.csv", "\n".join(lines) + "\n")
    return {("sales/unclosed_quote.csv", None): rejected("row 3")}


@case
def quoted_values_with_line_breaks(inbox: Path) -> dict[Unit, Expect]:
    header = ["跟进记录ID", "客户ID", "跟进方式", "跟进时间", "跟进内容"]
    rows = [["HI-1", "HX-1", "电话", "2025-08-01", "客户要求报价\r\n下周回访"],
            ["HI-2", "HX-1", "拜访", "2025-08-02", "第一行\n第二行\n第三行"],
            ["HI-3", "HX-1", "微信", "2025-08-03", "好"]]
    write(inbox, "crm/跟进_多行.csv", csv_text(header, rows, line_end="\r\n"))
    return {("crm/跟进_多行.csv", None): loaded("crm_interactions")}


@case
def very_long_field(inbox: Path) -> dict[Unit, Expect]:
    header = ["跟进记录ID", "客户ID", "跟进方式", "跟进时间", "跟进内容"]
    note = "邮件往来：" + "请尽快确认报价，谢谢。" * 30000  # ~330,000 characters
    write(inbox, "crm/长备注.csv", csv_text(header, [["HL-1", "HX-1", "邮件", "2025-08-01", note]]))
    return {("crm/长备注.csv", None): loaded("crm_interactions")}


# --- headers -------------------------------------------------------------------------------------------


@case
def duplicate_unused_columns(inbox: Path) -> dict[Unit, Expect]:
    """Two 备注 columns the pipeline does not use."""
    header = [*SALES_HEADER[:3], "备注", *SALES_HEADER[3:], "备注"]
    rows = [[*r[:3], "加急", *r[3:], "已开票"] for r in sales_rows("DUC")]
    write(inbox, "sales/two_remarks.csv", csv_text(header, rows))
    return {("sales/two_remarks.csv", None): loaded()}


@case
def two_columns_for_one_field(inbox: Path) -> dict[Unit, Expect]:
    """订单金额 and 实付金额 both mean the amount: which one is meant cannot be guessed."""
    rows = [[*r, "99"] for r in sales_rows("TWO")]
    write(inbox, "sales/two_amounts.csv", csv_text([*SALES_HEADER, "实付金额"], rows))
    return {("sales/two_amounts.csv", None): rejected("both mean 'amount'")}


@case
def decorated_headers(inbox: Path) -> dict[Unit, Expect]:
    """Import-template stars, units in brackets, full-width brackets and line breaks in headers."""
    header = ["*订单编号", "行号", "客户编码：", "客户名称", "下单\n时间", "金额(元)"]
    workbook(inbox, "sales/decorated.xlsx", {"导出": [header, *sales_rows("DEC")]})
    write(inbox, "crm/全角.csv", csv_text(["客户编号（CRM）", "公司名称"], [["HX-2", "北京远景物流有限公司"]]))
    return {("sales/decorated.xlsx", "导出"): loaded(), ("crm/全角.csv", None): loaded("crm_accounts")}


@case
def whitespace_only_cells(inbox: Path) -> dict[Unit, Expect]:
    """Cells holding only spaces or the full-width space: empty values, and an empty row."""
    rows = sales_rows("WS")
    rows[1][2] = "\u3000 "
    write(inbox, "sales/whitespace.csv", csv_text(SALES_HEADER, [rows[0], rows[1], [" ", "\u3000", "", " ", "", " "],
                                                                 rows[2]]))
    return {("sales/whitespace.csv", None): loaded()}


# --- workbooks -----------------------------------------------------------------------------------------


@case
def workbook_with_a_notes_sheet(inbox: Path) -> dict[Unit, Expect]:
    workbook(inbox, "sales/订单_带说明.xlsx", {"订单": [SALES_HEADER, *sales_rows("WNS")],
                                            "说明": [["本表由ERP导出"], ["金额单位：元"]]})
    return {("sales/订单_带说明.xlsx", "订单"): loaded(), ("sales/订单_带说明.xlsx", "说明"): rejected("sheet 说明")}


@case
def workbook_of_two_kinds(inbox: Path) -> dict[Unit, Expect]:
    workbook(inbox, "月度导出.xlsx", {"销售": [SALES_HEADER, *sales_rows("W2K")],
                                  "客户": [ACCOUNTS_HEADER, ["HX-3", "成都青木餐饮有限公司", "13900139000", "c@d.cn"]]})
    return {("月度导出.xlsx", "销售"): loaded(), ("月度导出.xlsx", "客户"): loaded("crm_accounts")}


@case
def empty_sheets(inbox: Path) -> dict[Unit, Expect]:
    workbook(inbox, "sales/with_empty_sheet.xlsx", {"订单": [SALES_HEADER, *sales_rows("EMS")], "Sheet2": []})
    workbook(inbox, "sales/all_empty.xlsx", {"Sheet1": [], "Sheet2": []})
    return {("sales/with_empty_sheet.xlsx", "订单"): loaded(), ("sales/with_empty_sheet.xlsx", "Sheet2"): IGNORED,
            ("sales/all_empty.xlsx", None): rejected("no data")}


@case
def excel_error_cells(inbox: Path) -> dict[Unit, Expect]:
    """#DIV/0! and #N/A left in the amount column by formulas."""
    path = inbox / "sales/formula_errors.xlsx"
    path.parent.mkdir(parents=True, exist_ok=True)
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("订单")
    sheet.write_row(0, 0, SALES_HEADER)
    for r, row in enumerate(sales_rows("ERR"), start=1):
        sheet.write_row(r, 0, row[:5])
        if r == 1:
            sheet.write_formula(r, 5, "=1/0", None, "#DIV/0!")
        else:
            sheet.write(r, 5, row[5])
    book.close()
    return {("sales/formula_errors.xlsx", "订单"): loaded()}


@case
def password_protected_workbook(inbox: Path) -> dict[Unit, Expect]:
    shutil.copy(FIXTURES / "password_protected.xlsx", _parent(inbox / "sales/加密订单.xlsx"))
    return {("sales/加密订单.xlsx", None): rejected("password-protected")}


@case
def damaged_workbook(inbox: Path) -> dict[Unit, Expect]:
    """A workbook whose copy stopped half-way."""
    full = workbook(inbox, "sales/damaged.xlsx", {"订单": [SALES_HEADER, *sales_rows("DMG")]})
    full.write_bytes(full.read_bytes()[:1500])
    return {("sales/damaged.xlsx", None): rejected("damaged")}


@case
def legacy_xls_workbook(inbox: Path) -> dict[Unit, Expect]:
    shutil.copy(FIXTURES / "legacy_orders.xls", _parent(inbox / "sales/legacy_orders.xls"))
    return {("sales/legacy_orders.xls", "销售订单"): loaded()}


@case
def macro_workbook(inbox: Path) -> dict[Unit, Expect]:
    workbook(inbox, "sales/with_macros.xlsm", {"订单": [SALES_HEADER, *sales_rows("XLSM")]})
    return {("sales/with_macros.xlsm", "订单"): loaded()}


# --- deliveries ----------------------------------------------------------------------------------------


CORRECTED_AMOUNT = "999.00"


@case
def correction_in_the_same_delivery(inbox: Path) -> dict[Unit, Expect]:
    """The original and its correction arrive together; the correction was saved a minute later
    and would sort first by name."""
    original = sales_rows("FIX")
    corrected = [[*row[:-1], CORRECTED_AMOUNT] for row in original]
    first = write(inbox, "sales/订单_2025-08.csv", csv_text(SALES_HEADER, original))
    second = write(inbox, "sales/订单_2025-08 更正.csv", csv_text(SALES_HEADER, corrected))
    os.utime(first, (BASE_MTIME, BASE_MTIME))
    os.utime(second, (BASE_MTIME + 60, BASE_MTIME + 60))
    return {("sales/订单_2025-08.csv", None): loaded(), ("sales/订单_2025-08 更正.csv", None): loaded()}


def _parent(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def build_hostile_inbox(inbox: Path) -> dict[Unit, Expect]:
    """Write every case into ``inbox``; the files get BASE_MTIME as modification time unless their
    case set one. Returns what must become of each file or sheet."""
    before = {p for p in inbox.rglob("*") if p.is_file()} if inbox.exists() else set()
    expected: dict[Unit, Expect] = {}
    for build in CASES:
        expected.update(build(inbox))
    for path in inbox.rglob("*"):
        if path.is_file() and path not in before and path.stat().st_mtime != BASE_MTIME + 60:
            os.utime(path, (BASE_MTIME, BASE_MTIME))
    return expected


OUTCOMES_SQL = """
SELECT source_file, sheet, 'loaded' AS outcome, kind FROM raw.load_log WHERE status = 'loaded'
UNION ALL SELECT source_file, sheet, 'duplicate', kind FROM raw.load_log WHERE status = 'duplicate_delivery'
UNION ALL SELECT source_file, sheet, 'rejected', kind FROM quality.file_rejections
UNION ALL SELECT source_file, sheet, 'ignored', NULL FROM raw.inbox_files WHERE status = 'ignored'
"""


def inbox_outcomes(conn) -> dict[Unit, list[tuple[str, str | None]]]:
    """Every (file, sheet) the warehouse knows with each place it is listed: (outcome, kind)."""
    places: dict[Unit, list[tuple[str, str | None]]] = {}
    for source_file, sheet, outcome, kind in conn.execute(OUTCOMES_SQL).fetchall():
        places.setdefault((source_file, sheet), []).append((outcome, kind))
    return places
