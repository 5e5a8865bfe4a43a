"""File layouts (which headers each export has) and the writers that put tables on disk the way the
source systems do: UTF-8 CSV, UTF-8 with byte-order mark (Excel-friendly, Windows line ends), GBK
(Windows Chinese CRM), and Excel workbooks written with xlsxwriter.

CSV fields are quoted only when needed (a comma or a quote inside); no field ever contains a line
break, so the line number of a row in the file equals the row number a spreadsheet user sees.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import numpy as np
import polars as pl
import xlsxwriter


@dataclass(frozen=True)
class Layout:
    """The columns of one export: (canonical column name, header written in the file), in order."""

    kind: str
    columns: tuple[tuple[str, str], ...]

    @property
    def canonical(self) -> list[str]:
        """Canonical column names, in file order."""
        return [c for c, _ in self.columns]

    @property
    def headers(self) -> list[str]:
        """Headers as written in the file, in file order."""
        return [h for _, h in self.columns]


SALES_EN = Layout("sales_order_lines", (
    ("order_id", "Order ID"), ("line_no", "Line No"), ("customer_code", "Customer Code"),
    ("customer_name", "Customer Name"), ("order_date", "Order Date"), ("sku", "SKU"),
    ("product_name", "Product Name"), ("category", "Category"), ("quantity", "Quantity"),
    ("unit_price", "Unit Price"), ("discount", "Discount"), ("amount", "Amount"), ("channel", "Channel"),
    ("region", "Region"), ("status", "Status"),
))
SALES_CN = Layout("sales_order_lines", (
    ("order_id", "订单编号"), ("line_no", "行号"), ("customer_code", "客户编码"), ("customer_name", "客户名称"),
    ("order_date", "下单时间"), ("sku", "商品编码"), ("product_name", "商品名称"), ("category", "商品类别"),
    ("quantity", "数量"), ("unit_price", "单价"), ("discount", "折扣"), ("amount", "金额"),
    ("channel", "销售渠道"), ("region", "区域"), ("status", "订单状态"),
))
CRM_ACCOUNTS = Layout("crm_accounts", (
    ("account_id", "客户ID"), ("sales_customer_code", "关联ERP编码"), ("contact_name", "联系人姓名"),
    ("company", "公司名称"), ("industry", "行业"), ("company_size", "人员规模"), ("region", "区域"),
    ("phone", "手机"), ("email", "邮箱"), ("created_date", "创建时间"), ("lead_source", "线索来源"),
    ("owner", "负责人"),
))
CRM_INTERACTIONS = Layout("crm_interactions", (
    ("interaction_id", "跟进记录ID"), ("account_id", "客户ID"), ("interaction_type", "跟进方式"),
    ("interaction_date", "跟进时间"), ("owner", "跟进人"), ("notes", "跟进内容"),
))
CRM_OPPORTUNITIES = Layout("crm_opportunities", (
    ("opportunity_id", "Deal ID"), ("account_id", "Account ID"), ("opportunity_name", "Deal Name"),
    ("stage", "Stage"), ("amount", "Amount"), ("created_date", "Created Time"), ("close_date", "Closing Date"),
    ("status", "Deal Status"), ("owner", "Deal Owner"),
))
SERVICE_TICKETS = Layout("service_tickets", (
    ("ticket_id", "Ticket ID"), ("phone", "Contact Phone"), ("email", "Contact Email"),
    ("opened_at", "Created Time"), ("first_response_at", "First Response Time"),
    ("resolved_at", "Resolved Time"), ("channel", "Channel"), ("category", "Category"),
    ("priority", "Priority"), ("status", "Status"), ("csat", "CSAT Score"),
))
SERVICE_NPS = Layout("service_nps", (
    ("response_id", "答卷编号"), ("phone", "手机"), ("email", "邮箱"), ("survey_date", "提交时间"),
    ("nps_score", "推荐值"), ("comment", "评论"),
))
EMAIL_CAMPAIGNS = Layout("email_campaigns", (
    ("campaign_id", "Campaign ID"), ("campaign_name", "Campaign Name"), ("subject", "Subject"),
    ("sent_at", "Send Time"),
))
EMAIL_EVENTS = Layout("email_events", (
    ("email", "Email Address"), ("campaign_id", "Campaign ID"), ("event_type", "Event"),
    ("event_time", "Timestamp"),
))

ALL_LAYOUTS: tuple[Layout, ...] = (SALES_EN, SALES_CN, CRM_ACCOUNTS, CRM_INTERACTIONS, CRM_OPPORTUNITIES,
                                   SERVICE_TICKETS, SERVICE_NPS, EMAIL_CAMPAIGNS, EMAIL_EVENTS)


@dataclass
class OutputFile:
    """One file written to the inbox: where, which kind, how it is encoded and how many data rows
    it has (per sheet for workbooks)."""

    path: str  # relative to the inbox, with '/' separators
    kind: str
    encoding: str  # 'utf-8', 'utf-8-sig' (with byte-order mark), 'gbk' or 'xlsx'
    rows: int = 0
    sheets: dict[str, int] = field(default_factory=dict)
    line_ending: str = "\n"
    copy_of: str | None = None

    def as_dict(self) -> dict[str, object]:
        """Description of the file for the manifest."""
        return {
            "path": self.path,
            "kind": self.kind,
            "encoding": self.encoding,
            "rows": self.rows,
            "sheets": dict(self.sheets) if self.sheets else None,
            "line_ending": "CRLF" if self.line_ending == "\r\n" else "LF" if self.encoding != "xlsx" else None,
            "copy_of": self.copy_of,
        }


class CsvWriter:
    """Writes a CSV export in one or several chunks (the header comes with the first one)."""

    def __init__(self, inbox: Path, relative: str, layout: Layout, encoding: str = "utf-8",
                 line_ending: str = "\n") -> None:
        if encoding not in ("utf-8", "utf-8-sig", "gbk"):
            raise ValueError(f"unsupported encoding {encoding!r}")
        self.path = inbox / relative
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.layout = layout
        self.info = OutputFile(path=relative, kind=layout.kind, encoding=encoding, line_ending=line_ending)
        self._handle = self.path.open("wb")
        self._first = True

    def write(self, frame: pl.DataFrame) -> None:
        """Append rows (columns named by canonical name; extra columns are ignored)."""
        table = frame.select(self.layout.canonical)
        table.columns = self.layout.headers
        include_header = self._first
        if self.info.encoding == "gbk":
            text = table.write_csv(None, include_header=include_header, line_terminator=self.info.line_ending,
                                   quote_style="necessary")
            self._handle.write(text.encode("gbk"))
        else:
            table.write_csv(self._handle, include_header=include_header,
                            include_bom=include_header and self.info.encoding == "utf-8-sig",
                            line_terminator=self.info.line_ending, quote_style="necessary")
        self._first = False
        self.info.rows += frame.height

    def close(self) -> OutputFile:
        """Finish the file (an empty export still gets its header) and describe it."""
        if self._first:
            self.write(pl.DataFrame({c: pl.Series([], dtype=pl.String) for c in self.layout.canonical}))
        self._handle.close()
        return self.info


def write_csv(inbox: Path, relative: str, layout: Layout, frame: pl.DataFrame, encoding: str = "utf-8",
              line_ending: str = "\n") -> OutputFile:
    """Write one CSV export in one go."""
    writer = CsvWriter(inbox, relative, layout, encoding, line_ending)
    writer.write(frame)
    return writer.close()


# ---------------------------------------------------------------------------------------------
# Excel
# ---------------------------------------------------------------------------------------------

# How a workbook cell is written: nothing, a real Excel date, text, or a plain number.
CELL_BLANK, CELL_DATE, CELL_TEXT, CELL_NUMBER = 0, 1, 2, 3


@dataclass(frozen=True)
class XlsxColumn:
    """One workbook column: ``text`` holds the text of text cells; ``number`` the value of date and
    number cells; ``cell`` says which (CELL_* codes)."""

    header: str
    text: list[str | None]
    number: list[float | None]
    cell: list[int]


def xlsx_column(header: str, frame: pl.DataFrame, name: str) -> XlsxColumn:
    """Read column ``name`` (text), ``name__num`` and ``name__cell`` from a frame. Without the helper
    columns, every non-empty value is written as text."""
    text = frame.get_column(name).cast(pl.String)
    if f"{name}__cell" in frame.columns:
        cell = frame.get_column(f"{name}__cell").to_numpy().astype(np.int64).tolist()
        number = frame.get_column(f"{name}__num").to_list()
    else:
        cell = np.where(text.is_null().to_numpy(), CELL_BLANK, CELL_TEXT).tolist()
        number = [None] * frame.height
    return XlsxColumn(header=header, text=text.to_list(), number=number, cell=cell)


def sheet_names(base: str, rows: int, max_rows: int) -> list[tuple[str, int, int]]:
    """Split ``rows`` data rows into sheets of at most ``max_rows``: (sheet name, first row, row count).
    Sheets are named ``base``, ``base (2)``, ``base (3)`` ..."""
    parts = []
    start = 0
    k = 1
    while start < rows or k == 1:
        count = min(max_rows, rows - start)
        parts.append((base if k == 1 else f"{base} ({k})", start, count))
        start += count
        k += 1
        if count == 0:
            break
    return parts


def write_xlsx(inbox: Path, relative: str, kind: str, sheet: str, columns: list[XlsxColumn], rows: int,
               max_rows_per_sheet: int, created: datetime) -> OutputFile:
    """Write a workbook with xlsxwriter; rows beyond ``max_rows_per_sheet`` continue on further sheets
    of the same workbook (each with its own header row). Date cells get the number format
    ``yyyy-mm-dd hh:mm:ss``. The workbook's creation time is fixed so the file is reproducible."""
    path = inbox / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    info = OutputFile(path=relative, kind=kind, encoding="xlsx", rows=rows)
    workbook = xlsxwriter.Workbook(str(path), {
        "constant_memory": True,
        "strings_to_numbers": False,
        "strings_to_formulas": False,
        "strings_to_urls": False,
    })
    workbook.set_properties({"created": created, "author": "Zoho Desk export", "title": "Tickets"})
    header_fmt = workbook.add_format({"bold": True})
    date_fmt = workbook.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
    width = len(columns)
    # Per-cell writing is unavoidable with xlsxwriter; everything else was computed vectorised.
    for name, first, count in sheet_names(sheet, rows, max_rows_per_sheet):
        ws = workbook.add_worksheet(name)
        for c, col in enumerate(columns):
            ws.write_string(0, c, col.header, header_fmt)
        write_string, write_number = ws.write_string, ws.write_number
        for i in range(first, first + count):
            r = i - first + 1
            for c in range(width):
                col = columns[c]
                kind_code = col.cell[i]
                if kind_code == CELL_TEXT:
                    write_string(r, c, col.text[i])
                elif kind_code == CELL_DATE:
                    write_number(r, c, col.number[i], date_fmt)
                elif kind_code == CELL_NUMBER:
                    write_number(r, c, col.number[i])
        info.sheets[name] = count
    workbook.close()
    return info


def copy_file(inbox: Path, source: OutputFile, relative: str) -> OutputFile:
    """Deliver ``source`` a second time under another name (byte-for-byte copy)."""
    data = (inbox / source.path).read_bytes()
    target = inbox / relative
    target.write_bytes(data)
    return OutputFile(path=relative, kind=source.kind, encoding=source.encoding, rows=source.rows,
                      sheets=dict(source.sheets), line_ending=source.line_ending, copy_of=source.path)
