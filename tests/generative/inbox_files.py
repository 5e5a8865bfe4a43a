"""Writing a drawn plain export as the files a user drops in the inbox, and the settings file of its run."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import xlsxwriter

from assets.common.settings import SHIPPED_SETTINGS_FILE
from tests.generative.strategies import PlainExport, Purchase

_XLSX_CREATED = datetime(2026, 1, 1)  # fixed, so the same example writes the same workbook bytes


@dataclass(frozen=True)
class WrittenInbox:
    """Where a drawn example lives on disk, and the settings of its run."""

    inbox_dir: Path
    settings_file: str  # "" = the shipped settings
    as_of: str  # "" = the data decides
    rows_per_file: dict[str, int]  # file (relative to the inbox) -> data rows written


def format_date(day: date, layout: str) -> str:
    """A date in one of the export layouts the staging layer reads."""
    if layout == "slash":
        return f"{day.year}/{day.month}/{day.day}"
    if layout == "chinese":
        return f"{day.year}年{day.month}月{day.day}日"
    if layout == "compact":
        return day.strftime("%Y%m%d")
    return day.isoformat()


def format_amount(amount: Decimal, style: str, encoding: str = "utf-8") -> Decimal | str:
    """An amount as the export writes it: a plain number, or text such as 1,234.50 / ¥1234.50 / 1,234.50元
    (the full-width ￥ in GBK, which has no ¥)."""
    if style == "thousands":
        return f"{amount:,.2f}"
    if style == "yuan":
        return f"{'￥' if encoding == 'gbk' else '¥'}{amount:.2f}"
    if style == "yuan_suffix":
        return f"{amount:,.2f}元"
    return amount


def _cells(purchase: Purchase, export: PlainExport) -> list[object]:
    """One row's values in header order (dates as text, except real date cells in a workbook)."""
    values: list[object] = []
    for column in export.headers:
        if column == "customer_code":
            values.append(purchase.customer_id)
        elif column == "order_date":
            values.append(purchase.order_date if export.date_layout == "excel"
                          else format_date(purchase.order_date, export.date_layout))
        elif column == "quantity":
            values.append(purchase.quantity)
        else:
            values.append(format_amount(purchase.amount, export.amount_style, export.file_format))
    return values


def _csv_field(value: object) -> str:
    text = str(value)
    return f'"{text}"' if any(ch in text for ch in ',"\n') else text


def _write_csv(path: Path, header: list[str], rows: list[list[object]], encoding: str) -> None:
    lines = [",".join(_csv_field(h) for h in header), *(",".join(_csv_field(v) for v in row) for row in rows)]
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode(encoding))


def _write_xlsx(path: Path, header: list[str], rows: list[list[object]]) -> None:
    workbook = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False})
    workbook.set_properties({"created": _XLSX_CREATED})
    dates = workbook.add_format({"num_format": "yyyy-mm-dd"})
    sheet = workbook.add_worksheet("订单")
    sheet.write_row(0, 0, header)
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row):
            if isinstance(value, date):
                sheet.write_datetime(r, c, datetime(value.year, value.month, value.day), dates)
            elif isinstance(value, str):
                sheet.write_string(r, c, value)  # ids such as 00123 keep their leading zeros
            else:
                sheet.write_number(r, c, float(value))
    workbook.close()


def settings_text(horizon_days: int | None) -> str:
    """The shipped settings with the churn horizon replaced (the whole file: settings never merge)."""
    text = SHIPPED_SETTINGS_FILE.read_text(encoding="utf-8")
    if horizon_days is None:
        return text
    replaced, count = re.subn(r"(?m)^horizon_days = \d+$", f"horizon_days = {horizon_days}", text)
    assert count == 1, "the shipped settings should have exactly one [churn] horizon_days"
    return replaced


def write_inbox(export: PlainExport, root: Path) -> WrittenInbox:
    """Write ``export`` under ``root``: ``inbox/sales/`` with its files, and ``settings.toml`` when the
    example changes the churn horizon."""
    sales = root / "inbox" / "sales"
    sales.mkdir(parents=True)
    header = list(export.headers.values())
    rows = [_cells(p, export) for p in export.rows]
    per_file = -(-len(rows) // export.files)
    suffix = "xlsx" if export.file_format == "xlsx" else "csv"
    rows_per_file = {}
    for index in range(export.files):
        part = rows[index * per_file:(index + 1) * per_file]
        path = sales / f"orders_{index + 1}.{suffix}"
        if export.file_format == "xlsx":
            _write_xlsx(path, header, part)
        else:
            _write_csv(path, header, part, export.file_format)
        rows_per_file[f"sales/{path.name}"] = len(part)
    settings_file = ""
    if export.horizon_days is not None:
        settings_path = root / "settings.toml"
        settings_path.write_text(settings_text(export.horizon_days), encoding="utf-8")
        settings_file = str(settings_path)
    return WrittenInbox(root / "inbox", settings_file, export.as_of.isoformat() if export.as_of else "",
                        rows_per_file)


def explicit_inbox(root: Path, files: dict[str, str], as_of: str = "", horizon_days: int | None = None,
                   encoding: str = "utf-8") -> WrittenInbox:
    """An inbox written out file by file (``{"sales/orders.csv": "customer_id,..."}``, UTF-8 unless
    ``encoding`` says otherwise), for the regression tests that keep a minimal failing example."""
    rows_per_file = {}
    for relative, text in files.items():
        path = root / "inbox" / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding=encoding)
        rows_per_file[relative] = len(text.strip().splitlines()) - 1
    settings_file = ""
    if horizon_days is not None:
        settings_file = str(root / "settings.toml")
        Path(settings_file).write_text(settings_text(horizon_days), encoding="utf-8")
    return WrittenInbox(root / "inbox", settings_file, as_of, rows_per_file)
