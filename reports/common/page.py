"""What every report page shares: the header fields of ``report_base.html.j2`` in one language."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from reports.common.catalog import REPORT_BY_STEM
from reports.common.formatting import Formatter
from reports.common.wording import wording

_LABELS = wording(__file__)["page"]


def page_context(stem: str, language: str, as_of: date | None, generated_at: datetime,
                 currency_symbol: str = "¥") -> dict[str, Any]:
    """Template variables for the shared header of report ``stem`` in ``language``, plus ``fmt``
    (a Formatter for the language). ``as_of`` is None only on the page of a report that failed
    before its as-of date was known."""
    other = "en" if language == "zh" else "zh"
    fmt = Formatter(language, currency_symbol)
    return {
        **_LABELS[language],
        "language": language,
        "title": REPORT_BY_STEM[stem].title(language),
        "as_of_iso": as_of.isoformat() if as_of else "",
        "as_of_text": fmt.date(as_of),
        "generated_at_iso": generated_at.isoformat(),
        "generated_at_text": fmt.datetime(generated_at),
        "other_language_file": f"{stem}.{other}.html",
        "fmt": fmt,
    }
