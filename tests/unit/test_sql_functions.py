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
    [("¥1,234.50", Decimal("1234.50")), ("1,234.50元", Decimal("1234.50")), ("RMB 1234.5", Decimal("1234.50")),
     ("￥99", Decimal("99.00")), ("-12.5", Decimal("-12.50")), ("abc", None)],
)
def test_amounts_written_as_text(conn, text, expected):
    assert conn.execute("SELECT crm_amount(?)", [text]).fetchone()[0] == expected


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
