"""SQL macros that turn export text into typed values. Created per connection (TEMP), so the
warehouse file carries no code and every run uses the code it ships with."""

from __future__ import annotations

import contextlib

import duckdb
import phonenumbers

# Date and time layouts found in Chinese CRM/ERP exports. Excel serial day numbers are handled
# separately; text with an explicit UTC offset is converted to China time (UTC+8).
TIMESTAMP_FORMATS = [
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%dT%H:%M",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
    "%Y/%m/%d",
    "%Y年%m月%d日 %H:%M:%S",
    "%Y年%m月%d日 %H:%M",
    "%Y年%m月%d日",
    "%Y.%m.%d",
    "%Y%m%d",
]

_FORMAT_LIST = "[" + ", ".join(f"'{f}'" for f in TIMESTAMP_FORMATS) + "]"

MACROS = [
    # Trimmed text with inner whitespace runs collapsed; empty text becomes NULL.
    r"""CREATE OR REPLACE TEMP MACRO crm_text(x) AS
        nullif(trim(regexp_replace(CAST(x AS VARCHAR), '[\s　]+', ' ', 'g')), '')""",
    # Excel stores dates as days since 1899-12-30; five-digit numbers are such serials.
    rf"""CREATE OR REPLACE TEMP MACRO crm_timestamp(x) AS
        CASE
          WHEN crm_text(x) IS NULL THEN NULL
          WHEN regexp_full_match(crm_text(x), '\d{{5}}(\.\d+)?')
            THEN TIMESTAMP '1899-12-30'
                 + to_seconds(CAST(round(CAST(crm_text(x) AS DOUBLE) * 86400) AS BIGINT))
          WHEN regexp_matches(crm_text(x), '([+-]\d{{2}}:?\d{{2}}|Z)$')
            THEN CAST(timezone('Asia/Shanghai', TRY_CAST(crm_text(x) AS TIMESTAMPTZ)) AS TIMESTAMP)
          ELSE try_strptime(crm_text(x), {_FORMAT_LIST})
        END""",
    r"""CREATE OR REPLACE TEMP MACRO crm_number(x) AS
        TRY_CAST(regexp_replace(crm_text(x), '[,，\s]', '', 'g') AS DOUBLE)""",
    # Money as text: "¥1,234.50", "1,234.50元", "RMB 1234.5", "￥1234.50".
    r"""CREATE OR REPLACE TEMP MACRO crm_amount(x) AS
        TRY_CAST(regexp_replace(crm_text(x), '[¥￥$,，元\s]|RMB|CNY', '', 'gi') AS DECIMAL(18, 2))""",
    r"""CREATE OR REPLACE TEMP MACRO crm_email(x) AS
        CASE WHEN regexp_full_match(lower(crm_text(x)), '[a-z0-9._%+\-]+@[a-z0-9.\-]+\.[a-z]{2,}')
             THEN lower(crm_text(x)) END""",
    # Chinese mobile numbers in any common layout (+86 138-0013-8000, 0086..., (+86)...) are turned into
    # E.164 in SQL; anything else with enough digits (landlines such as 010-12345678 or 0571-8888 9999,
    # foreign numbers) goes through Google's phonenumbers rules.
    r"""CREATE OR REPLACE TEMP MACRO crm_phone(x) AS
        CASE
          WHEN regexp_full_match(regexp_replace(CAST(x AS VARCHAR), '\D', '', 'g'), '(0086|86)?1[3-9]\d{9}')
               AND NOT regexp_matches(regexp_replace(CAST(x AS VARCHAR), '[\s()\-]', '', 'g'), '^\+[0-79]')
            THEN '+86' || right(regexp_replace(CAST(x AS VARCHAR), '\D', '', 'g'), 11)
          WHEN length(regexp_replace(CAST(x AS VARCHAR), '\D', '', 'g')) >= 7
            THEN crm_phone_by_rules(CAST(x AS VARCHAR))
        END""",
]


def phone_to_e164(text: str | None) -> str | None:
    """A phone number as written in China (landline with area code, mobile, or international with +)
    in E.164 form, or None when it is not a valid number."""
    if text is None:
        return None
    try:
        number = phonenumbers.parse(text, "CN")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def install_sql_functions(conn: duckdb.DuckDBPyConnection) -> None:
    """Make the parsing macros available on this connection."""
    with contextlib.suppress(duckdb.CatalogException):  # already registered on this connection
        conn.create_function(
            "crm_phone_by_rules", phone_to_e164, [duckdb.sqltype("VARCHAR")], duckdb.sqltype("VARCHAR"),
            null_handling="special",
        )
    for statement in MACROS:
        conn.execute(statement)
