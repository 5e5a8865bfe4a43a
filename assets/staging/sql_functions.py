"""SQL macros that turn export text into typed values. Created per connection (TEMP), so the
warehouse file carries no code and every run uses the code it ships with."""

from __future__ import annotations

import contextlib

import duckdb
import phonenumbers

from assets.common.sql import SqlFolder

# The macros (sql/crm_macros.sql): crm_text, crm_timestamp and the day/month readings, the number
# steps (crm_number_parts_of, crm_number_body, crm_number_format_of, crm_reading_mark,
# crm_number_value_of, crm_number_problem_of, crm_decimal_decision; see assets/staging/numbers.py)
# and their one-value forms (crm_number_as, crm_number, crm_amount), crm_email and crm_phone.
SQL = SqlFolder(__file__)
_LAST_MACRO = "crm_phone"


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


def _installed(conn: duckdb.DuckDBPyConnection) -> bool:
    """Whether this connection already has the macros (the last one is created last; calling it is
    about 20 times cheaper than listing ``duckdb_functions()``)."""
    try:
        conn.execute(f"SELECT {_LAST_MACRO}(NULL)").fetchall()
    except duckdb.CatalogException:
        return False
    return True


def install_sql_functions(conn: duckdb.DuckDBPyConnection) -> None:
    """Make the parsing macros available on this connection (once: creating the nested number
    macros costs about 0.2 s, and one asset may ask several times on the same connection)."""
    if _installed(conn):
        return
    # Already registered on this connection: DuckDB raises CatalogException or NotImplementedException.
    with contextlib.suppress(duckdb.CatalogException, duckdb.NotImplementedException):
        conn.create_function(
            "crm_phone_by_rules", phone_to_e164, [duckdb.sqltype("VARCHAR")], duckdb.sqltype("VARCHAR"),
            null_handling="special",
        )
    SQL.run(conn, "crm_macros")
