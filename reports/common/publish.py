"""Writing report files to ``<reports>/<as_of>/`` and ``<reports>/latest/``.

Each file is written to a temporary name in its folder and renamed over the old one, so a reader (or
a run killed half-way) never sees a half-written page. Each report asset publishes its own files, so
one report can be regenerated without touching the others. When the as-of date could not be
determined (the warehouse could not be read and none is configured) the pages go to ``latest/`` only.
"""

from __future__ import annotations

import os
from datetime import UTC, date, datetime
from pathlib import Path

from assets.common.files import write_atomically

LATEST = "latest"


def generation_time() -> datetime:
    """When the reports were generated. SOURCE_DATE_EPOCH (the reproducible-builds convention) pins
    it, so two runs on the same exports can produce byte-identical reports."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch:
        return datetime.fromtimestamp(int(epoch), tz=UTC)
    return datetime.now(tz=UTC).replace(microsecond=0)


def report_folder(reports_dir: Path, as_of: date | None) -> Path:
    """The folder of one as-of date's reports (``latest/`` when the date is unknown)."""
    return reports_dir / (as_of.isoformat() if as_of is not None else LATEST)


def publish_report_files(reports_dir: Path, as_of: date | None, files: dict[str, str]) -> Path:
    """Write ``files`` (name → HTML text) into the as-of date's folder and into ``latest/``; return
    the dated folder (``latest/`` when the date is unknown)."""
    dated = report_folder(reports_dir, as_of)
    for folder in dict.fromkeys((dated, reports_dir / LATEST)):
        for name, text in files.items():
            write_atomically(folder / name, text)
    return dated


def publish_report(reports_dir: Path, as_of: date | None, stem: str, pages: dict[str, str],
                   default_language: str) -> Path:
    """Write one report's pages (language → HTML) as ``<stem>.<language>.html`` plus ``<stem>.html``
    in the default language, into the dated folder and ``latest/``; return the dated folder."""
    files = {f"{stem}.{language}.html": text for language, text in pages.items()}
    files[f"{stem}.html"] = pages[default_language]
    return publish_report_files(reports_dir, as_of, files)
