"""Day-first or month-first: how a file writes dates such as 12/1/2010.

Exports from Excel or an English-language shop system write dates by their locale: ``12/1/2010
8:26`` is 1 December in the US and 12 January in Britain. One value alone often cannot tell; the
file can. Each version of each file is decided by its own dates, every date column of the kind
together: a day above 12 in the first place (``25/12/2024``) means day-first, in the second place
(``12/25/2024``) month-first. Only when the file shows neither does the setting
``[staging] date_order`` decide ("dmy" or "mdy"; "auto": nobody guesses). A file showing both, or
neither with the setting "auto", has its day/month dates quarantined with the reason and the
setting to use; ISO (2024-12-25), Chinese (2024年12月25日), compact (20241225) and Excel serial dates
are not affected.

The staging query reads the decision as the helper column ``_date_order`` ('dmy', 'mdy' or NULL),
and every ``crm_timestamp(x)`` of a spec is read as ``crm_timestamp_in(_date_order, x)``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

DATE_ORDERS = ("auto", "dmy", "mdy")
_TIMESTAMP_CALL = re.compile(r"\bcrm_timestamp\((\w+)\)")


def date_order_setting(thresholds: Mapping[str, Any] | None) -> str:
    """``[staging] date_order`` of the settings ("auto" when absent)."""
    value = str(((thresholds or {}).get("staging") or {}).get("date_order", "auto")).strip().lower()
    if value not in DATE_ORDERS:
        raise ValueError(f'settings [staging] date_order must be one of {", ".join(DATE_ORDERS)}, got {value!r}')
    return value


def date_columns(expressions: Iterable[str]) -> list[str]:
    """The raw columns read as timestamps (``crm_timestamp(<column>)``) in the expressions, in order."""
    return list(dict.fromkeys(m.group(1) for e in expressions for m in _TIMESTAMP_CALL.finditer(e)))


def in_date_order(expression: str) -> str:
    """The expression with every timestamp read in its file's day/month order."""
    return _TIMESTAMP_CALL.sub(r"crm_timestamp_in(_date_order, \1)", expression)


def with_date_order(source: str, columns: list[str], setting: str) -> str:
    """SQL relation: ``source`` with ``_date_order``, decided per file version from ``columns``."""
    if not columns:
        return f"(SELECT *, CAST(NULL AS VARCHAR) AS _date_order FROM {source})"
    first = " + ".join(f"CAST(crm_day_month_evidence({c}) = 'dmy' AS INTEGER)" for c in columns)
    second = " + ".join(f"CAST(crm_day_month_evidence({c}) = 'mdy' AS INTEGER)" for c in columns)
    fallback = f"'{setting}'" if setting in ("dmy", "mdy") else "NULL"
    return f"""(SELECT * EXCLUDE (_day_first_values, _month_first_values),
               CASE WHEN _day_first_values > 0 AND _month_first_values = 0 THEN 'dmy'
                    WHEN _month_first_values > 0 AND _day_first_values = 0 THEN 'mdy'
                    WHEN _day_first_values = 0 AND _month_first_values = 0 THEN {fallback}
               END AS _date_order
        FROM (SELECT *, sum(coalesce({first}, 0)) OVER file_version AS _day_first_values,
                        sum(coalesce({second}, 0)) OVER file_version AS _month_first_values
              FROM {source}
              WINDOW file_version AS (PARTITION BY _source_file, _sheet, _file_hash)))"""


def day_month_undecided(raw: str) -> str:
    """SQL: the value is a day/month date (3/4/2025) and its file's order is undecided."""
    return f"(_date_order IS NULL AND crm_day_month_shaped({raw}))"


UNDECIDED_RULE = ('day/month order unknown (its file shows no day above 12, or both orders): '
                  'set [staging] date_order = "dmy" or "mdy", or re-export dates as YYYY-MM-DD')
