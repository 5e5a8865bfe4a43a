from datetime import datetime
from decimal import Decimal

import duckdb
import pytest

from assets.staging.sql_functions import install_sql_functions


@pytest.fixture(scope="module")
def conn():
    connection = duckdb.connect()
    install_sql_functions(connection)
    return connection


@pytest.mark.parametrize(
    "text, expected",
    [
        ("2024-08-22", datetime(2024, 8, 22)),
        ("2024/8/22", datetime(2024, 8, 22)),
        ("2024年8月22日", datetime(2024, 8, 22)),
        ("2024-08-22 13:05:09", datetime(2024, 8, 22, 13, 5, 9)),
        ("45526", datetime(2024, 8, 22)),
        ("45526.5", datetime(2024, 8, 22, 12)),
        ("2024-08-22T05:00:00Z", datetime(2024, 8, 22, 13)),
        ("2024-08-22T13:00:00+08:00", datetime(2024, 8, 22, 13)),
        ("2024-13-45", None),
        ("N/A", None),
        ("  ", None),
    ],
)
def test_dates_in_every_export_layout(conn, text, expected):
    assert conn.execute("SELECT crm_timestamp(?)", [text]).fetchone()[0] == expected


@pytest.mark.parametrize(
    "text, expected",
    [("¥1,234.50", "1234.50"), ("1,234.50元", "1234.50"), ("RMB 1234.5", "1234.50"), ("rmb1234.5", "1234.50"),
     ("CNY 99", "99.00"), ("￥99", "99.00"), ("人民币 99元", "99.00"), ("１２３４．５", "1234.50"),
     ("１，２３４．５０元", "1234.50"), ("1.5万", "15000.00"), ("1.5万元", "15000.00"), ("2亿", "200000000.00"),
     ("3千", "3000.00"), ("-12.5", "-12.50"), ("－12.5", "-12.50"), ("(1,234.50)", "-1234.50"),
     ("（1,234.50）", "-1234.50"), ("12.5-", "-12.50"), ("-¥12.5", "-12.50"), ("¥-12.5", "-12.50"),
     ("+5", "5.00"), ("1.2E+3", "1200.00"), ("1e12", "1000000000000.00"), (".5", "0.50"), ("0", "0.00"),
     ("1'234.50", "1234.50"), ("1 234.50", "1234.50"), ("1\u00a0234.50", "1234.50"), ("1,234,567", "1234567.00"),
     # a decimal comma shown by the value itself: the defects of the old comma stripping
     ("1.234,50", "1234.50"), ("1 234,50", "1234.50"), ("12,5", "12.50"), ("0,500", "0.50"),
     ("1.234.567", "1234567.00"),
     # not amounts
     ("abc", None), ("面议", None), ("10%", None), ("12.5 %", None), ("$12.50", None), ("(12", None),
     ("-12-", None), ("+(12)", None), ("12,34,567", None), ("1,2345.6", None), ("", None), (None, None)],
)
def test_amounts_written_as_text(conn, text, expected):
    expected = None if expected is None else Decimal(expected)
    assert conn.execute("SELECT crm_amount(?)", [text]).fetchone()[0] == expected


@pytest.mark.parametrize(
    "text, number_format",
    [("1234", "plain"), ("1 234", "plain"), ("1'234", "plain"), ("1E12", "plain"), ("1,234.50", "dot"),
     ("12.5", "dot"), ("1234.50", "dot"), ("1,234,567", "dot"), ("1.234,50", "comma"), ("12,5", "comma"),
     ("1234,567", "comma"), ("1.234.567", "comma"), ("1,234", "ambiguous"), ("12,500", "ambiguous"),
     ("1.234", "ambiguous"), ("abc", None), ("10%", None), (None, None)],
)
def test_how_a_number_can_be_read(conn, text, number_format):
    assert conn.execute("SELECT crm_number_format(?)", [text]).fetchone()[0] == number_format


@pytest.mark.parametrize(
    "text, mark, expected, problem",
    [("1,234", ".", "1234", None), ("1,234", ",", "1.234", None), ("1,234", None, None, "ambiguous"),
     ("1.234", ",", "1234", None), ("12,500", ".", "12500", None),
     ("12,5", ",", "12.5", None), ("12,5", ".", None, "contradicts"), ("1,234.50", ",", None, "contradicts"),
     ("1,234.50", None, None, "contradicts"), ("1234", None, "1234", None), ("abc", ".", None, "not a number"),
     ("1e40", ".", None, "not a number"), ("15%", ".", None, "percentage"), ("（15％）", ".", None, "percentage"),
     ("", ".", None, None)],
)
def test_a_value_is_read_with_its_columns_decimal_separator_or_not_at_all(conn, text, mark, expected, problem):
    value, found = conn.execute("SELECT crm_number_as(?, ?), crm_number_problem(?, ?)", [text, mark] * 2).fetchone()
    assert value == (None if expected is None else Decimal(expected))
    assert found == problem


@pytest.mark.parametrize(
    "counts, setting, mark, decided_by",
    [((5, 1, 0, 0), "auto", ".", "column evidence"), ((1, 5, 0, 0), "auto", ",", "column evidence"),
     ((5, 1, 0, 0), ",", ".", "column evidence"),  # the column's own values win over the setting
     ((0, 0, 0, 0), "auto", ".", "default"), ((0, 0, 0, 0), ",", ",", "setting"),
     ((0, 0, 0, 7), "auto", ",", "file evidence"), ((0, 0, 7, 0), "auto", ".", "file evidence"),
     ((0, 0, 0, 7), ".", ".", "setting"), ((2, 2, 0, 0), "auto", None, "conflicting evidence"),
     ((2, 2, 0, 0), ",", ",", "setting"), ((0, 0, 3, 3), "auto", None, "conflicting evidence")],
)
def test_the_decimal_separator_of_a_column(conn, counts, setting, mark, decided_by):
    decision = conn.execute("SELECT crm_decimal_decision(?, ?, ?, ?, ?)", [*counts, setting]).fetchone()[0]
    assert decision == {"mark": mark, "decided_by": decided_by}


@pytest.mark.parametrize("text, expected", [("3", 3.0), ("4,5", 4.5), ("1,234", 1234.0), ("７", 7.0), ("x", None)])
def test_single_numbers_read_their_own_decimal_separator(conn, text, expected):
    assert conn.execute("SELECT crm_number(?)", [text]).fetchone()[0] == expected


@pytest.mark.parametrize(
    "text", ["+86 138-0013-8000", "13800138000", "0086 138 0013 8000", "(+86)13800138000", "86-13800138000"]
)
def test_chinese_mobiles_become_e164(conn, text):
    assert conn.execute("SELECT crm_phone(?)", [text]).fetchone()[0] == "+8613800138000"


def test_invalid_phone_and_email_become_null(conn):
    assert conn.execute("SELECT crm_phone('12345'), crm_email('not-an-email')").fetchone() == (None, None)


def test_email_is_trimmed_and_lower_cased(conn):
    assert conn.execute("SELECT crm_email('  Zhang.Wei@Example.COM ')").fetchone()[0] == "zhang.wei@example.com"


@pytest.mark.parametrize(
    "text, expected",
    [("010-12345678", "+861012345678"), ("0571-8888 9999", "+8657188889999"), ("(021)6123 4567", "+862161234567"),
     ("+1 650 253 0000", "+16502530000"), ("0000000", None)],
)
def test_landlines_and_foreign_numbers_use_phonenumbers(conn, text, expected):
    assert conn.execute("SELECT crm_phone(?)", [text]).fetchone()[0] == expected


@pytest.mark.parametrize(("text", "shaped", "evidence", "month_first", "day_first"), [
    ("12/1/2010 8:26", True, None, datetime(2010, 12, 1, 8, 26), datetime(2010, 1, 12, 8, 26)),
    ("25/12/2024", True, "dmy", None, datetime(2024, 12, 25)),
    ("12/25/2024", True, "mdy", datetime(2024, 12, 25), None),
    ("24.08.2024", True, "dmy", None, datetime(2024, 8, 24)),
    ("1-2-2025 3:04 PM", True, None, datetime(2025, 1, 2, 15, 4), datetime(2025, 2, 1, 15, 4)),
    ("2024-01-05", False, None, datetime(2024, 1, 5), datetime(2024, 1, 5)),
    ("2024/8/22", False, None, datetime(2024, 8, 22), datetime(2024, 8, 22)),
    ("12.5", False, None, None, None),
    (None, False, None, None, None),
])
def test_day_month_dates(conn, text, shaped, evidence, month_first, day_first):
    row = conn.execute("SELECT crm_day_month_shaped($t), crm_day_month_evidence($t), crm_timestamp_in('mdy', $t), "
                       "crm_timestamp_in('dmy', $t), crm_timestamp_in(NULL, $t)", {"t": text}).fetchall()[0]
    assert row[:4] == (shaped, evidence, month_first, day_first)
    assert row[4] == (None if shaped else month_first)  # undecided: a day/month date is not guessed
