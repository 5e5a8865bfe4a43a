"""An English-language shop export in the shape of the public Online Retail data set: one row per
product of an invoice, no amount and no line number, US dates, customer ids written as 17850.0,
cancellations as negative quantities, some rows without a customer."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from tests.conftest import materialize_layers, query
from tests.inbox_builders import write_csv

HEADER = ["InvoiceNo", "StockCode", "Description", "Quantity", "InvoiceDate", "UnitPrice", "CustomerID", "Country"]
ROWS = [
    ["536365", "85123A", "WHITE HANGING HEART T-LIGHT", "6", "12/1/2010 8:26", "2.55", "17850.0", "United Kingdom"],
    ["536365", "71053", "WHITE METAL LANTERN", "6", "12/1/2010 8:26", "3.39", "17850.0", "United Kingdom"],
    ["536365", "84406B", "CREAM CUPID HEARTS COAT HANGER", "8", "12/1/2010 8:26", "2.75", "17850.0", "United Kingdom"],
    ["536366", "22633", "HAND WARMER UNION JACK", "6", "12/13/2010 8:28", "1.85", "17850.0", "United Kingdom"],
    ["C536379", "D", "Discount", "-1", "12/13/2010 9:41", "27.50", "14527.0", "United Kingdom"],
    ["536414", "22139", "?", "56", "12/13/2010 11:52", "0", "", "United Kingdom"],
]


def test_an_online_retail_export_is_read_line_by_line(paths):
    write_csv(Path(paths.inbox_dir) / "sales" / "Online Retail.csv", HEADER, ROWS)
    assert materialize_layers(paths, "raw", "staging").success
    # the file is a sales export although it has no amount column: quantity × unit price
    assert query(paths, "SELECT status FROM raw.load_log") == [("loaded",)]
    lines = query(paths, "SELECT order_id, line_no, sku, order_ts, amount, customer_code, region "
                         "FROM staging.sales_order_lines ORDER BY order_id, line_no")
    assert [line[:3] for line in lines] == [("536365", 1, "85123A"), ("536365", 2, "71053"), ("536365", 3, "84406B"),
                                            ("536366", 1, "22633"), ("C536379", 1, "D")]
    assert [line[4] for line in lines] == [Decimal("15.30"), Decimal("20.34"), Decimal("22.00"), Decimal("11.10"),
                                           Decimal("-27.50")]
    assert lines[0][3].isoformat() == "2010-12-01T08:26:00" and lines[3][3].isoformat() == "2010-12-13T08:28:00"
    assert lines[0][6] == "United Kingdom"
    # the row without a customer is quarantined by row and column, not dropped
    assert query(paths, "SELECT row_number, column_name, rule FROM quality.quarantine WHERE stage = 'staging'") == [
        (7, "customer_code", "required value missing")]
    assert query(paths, "SELECT rows_read, rows_staged, rows_quarantined, rows_collapsed "
                        "FROM quality.reconciliation_by_file") == [(6, 5, 1, 0)]


def test_a_redelivered_invoice_export_collapses_line_by_line(paths):
    """The same invoices exported again (a later, overlapping export) replace their lines one for one."""
    sales = Path(paths.inbox_dir) / "sales"
    write_csv(sales / "retail_2010-12.csv", HEADER, ROWS[:4])
    write_csv(sales / "retail_2010-12_v2.csv", HEADER, [ROWS[0], ROWS[1], [*ROWS[2][:3], "9", *ROWS[2][4:]], ROWS[3]])
    assert materialize_layers(paths, "raw", "staging").success
    # 15.30 + 20.34 + 9 × 2.75 + 11.10: the corrected line replaces its original
    assert query(paths, "SELECT count(*), sum(amount) FROM staging.sales_order_lines") == [(4, Decimal("71.49"))]
    assert query(paths, "SELECT quantity FROM staging.sales_order_lines WHERE sku = '84406B'") == [(9.0,)]


def test_a_file_without_amount_and_without_unit_price_is_rejected_naming_both(paths):
    write_csv(Path(paths.inbox_dir) / "sales" / "lines.csv", ["InvoiceNo", "Quantity", "InvoiceDate", "CustomerID"],
              [["1", "2", "12/1/2010 8:26", "17850.0"]])
    assert materialize_layers(paths, "raw").success
    (error,) = query(paths, "SELECT error FROM quality.file_rejections")[0]
    assert "lines.csv" in error and "amount" in error
