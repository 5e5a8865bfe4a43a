"""Masked contact details: the one place the masking rules live, for analytics tables, reports,
check samples, error messages and previews.

Analytics tables and reports never carry a raw phone number or e-mail address; the raw values stay
in ``core.customers``. Two rules, the same in SQL and in Python:

- **phone** ``mask_phone``: the digits of the number, without the +86 / 0086 country code of a
  Chinese number. 11 digits or more (a mobile): the first 3 and the last 4 with ``****`` between,
  ``+8613800138000`` → ``138****8000``. 8 to 10 digits (a landline): ``****`` and the last 4,
  ``+861012345678`` → ``****5678``. Anything shorter → ``***``. Missing stays missing.
- **e-mail** ``mask_email``: the first character of the name, ``***`` and the whole domain,
  ``zhang.wei@example.com`` → ``z***@example.com``; text that is not ``name@domain`` → ``***``.

Use them in SQL as macros after ``register_masking_macros(conn)`` (``SELECT mask_phone(phone_e164)``,
defined in ``sql/masking.sql``); in Python as ``mask_phone`` / ``mask_email`` (the tests hold the
two to the same results). The macros are TEMP: they live on the connection and are not stored in
the warehouse file.

``RAW_EMAIL_PATTERN`` and ``RAW_PHONE_PATTERNS`` recognise an unmasked value inside any text; the
"no raw contacts" checks use them.
"""

from __future__ import annotations

import re

import duckdb

from assets.common.sql import SqlFolder

SQL = SqlFolder(__file__)

# An e-mail address: at least one name character directly before the @ (a masked 'z***@x.com'
# has '*' there and does not match).
RAW_EMAIL_PATTERN = r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"
# A number in E.164 form (+ and 7 or more digits, as core stores phones) or a bare Chinese mobile.
RAW_PHONE_PATTERNS = (r"\+[0-9]{7,15}", r"(^|[^0-9])1[3-9][0-9]{9}($|[^0-9])")


def register_masking_macros(conn: duckdb.DuckDBPyConnection) -> None:
    """Create the TEMP macros ``mask_phone(x)`` and ``mask_email(x)`` on this connection (and
    ``mask_phone_national(x)``, the digits ``mask_phone`` keeps or masks)."""
    SQL.run(conn, "masking")


def mask_phone(value: str | None) -> str | None:
    """Python twin of the ``mask_phone`` macro: ``+8613800138000`` → ``138****8000``."""
    if value is None:
        return None
    digits = re.sub(r"[^0-9]", "", str(value))
    if re.match(r"^(\+|00)86", str(value).strip(" ")):
        digits = re.sub(r"^(00)?86", "", digits)
    if len(digits) >= 11:
        return f"{digits[:3]}****{digits[-4:]}"
    if len(digits) >= 8:
        return f"****{digits[-4:]}"
    return "***"


def mask_email(value: str | None) -> str | None:
    """Python twin of the ``mask_email`` macro: ``Zhang.Wei@Example.com`` → ``z***@example.com``."""
    if value is None:
        return None
    text = str(value).strip(" ").lower()
    if re.fullmatch(r"[^@\s]+@[^@\s]+", text):
        return f"{text[0]}***@{text.split('@', 1)[1]}"
    return "***"


# --- inside any text (error messages, check samples, previews) -----------------------------------

_EMAIL = re.compile(r"([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*@([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,})")
# Chinese mobile numbers, bare or with +86/0086/86 and separators: 13800138000, +86 138-0013-8000.
_MOBILE = re.compile(r"(?<![\d+])(?:(?:\+|00)?86[\s-]*)?(1[3-9]\d)[\s-]*(\d{4})[\s-]*(\d{4})(?!\d)")
_CONTACT_WORDS = ("phone", "email", "mobile", "手机", "电话", "邮箱")


def mask_text(text: str) -> str:
    """Mask every e-mail address and Chinese mobile number inside a text."""
    text = _EMAIL.sub(lambda m: f"{m.group(1)}***@{m.group(2)}", text)
    return _MOBILE.sub(lambda m: f"{m.group(1)}****{m.group(3)}", text)


def mask_value(value: str, column: str | None = None) -> str:
    """Mask a sample value; in a contact column (phone, e-mail) anything unrecognised is masked too."""
    masked = mask_text(value)
    if masked != value or not column or not any(w in column.lower() for w in _CONTACT_WORDS):
        return masked
    digits = re.sub(r"\D", "", value)
    return f"{digits[:3]}****{digits[-4:]}" if len(digits) >= 8 else "***"
