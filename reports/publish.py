"""Writing report files to ``<reports>/<as_of>/`` and ``<reports>/latest/``.

Each file is written to a temporary name in its folder and renamed over the old one, so a reader (or
a run killed half-way) never sees a half-written page. Each report asset publishes its own files, so
one report can be regenerated without touching the others.
"""

from __future__ import annotations

import os
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from dagster import MaterializeResult, MetadataValue

from assets.files import write_atomically


def generation_time() -> datetime:
    """When the reports were generated. SOURCE_DATE_EPOCH (the reproducible-builds convention) pins
    it, so two runs on the same exports can produce byte-identical reports."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch:
        return datetime.fromtimestamp(int(epoch), tz=UTC)
    return datetime.now(tz=UTC).replace(microsecond=0)


def publish_report_files(reports_dir: Path, as_of_label: str, files: dict[str, str]) -> Path:
    """Write ``files`` (name → HTML text) into the dated folder and into ``latest/``; return the
    dated folder."""
    dated = reports_dir / as_of_label
    for folder in (dated, reports_dir / "latest"):
        for name, text in files.items():
            write_atomically(folder / name, text)
    return dated


def publish_report(reports_dir: Path, as_of_label: str, stem: str, pages: dict[str, str],
                   default_language: str) -> Path:
    """Write one report's pages (language → HTML) as ``<stem>.<language>.html`` plus ``<stem>.html``
    in the default language, into the dated folder and ``latest/``; return the dated folder."""
    files = {f"{stem}.{language}.html": text for language, text in pages.items()}
    files[f"{stem}.html"] = pages[default_language]
    return publish_report_files(reports_dir, as_of_label, files)


def publish_report_result(reports_dir: str, stem: str, as_of: date, pages: dict[str, str], default_language: str,
                          **extra: Any) -> MaterializeResult:
    """Publish a report's pages and describe them for the Dagster UI: path, latest, as_of, the size of
    the largest page, plus any ``extra`` metadata values."""
    folder = publish_report(Path(reports_dir), as_of.isoformat(), stem, pages, default_language)
    return MaterializeResult(metadata={
        "path": MetadataValue.path(str(folder / f"{stem}.html")),
        "latest": MetadataValue.path(str(Path(reports_dir) / "latest" / f"{stem}.html")),
        "as_of": MetadataValue.text(as_of.isoformat()),
        "size_bytes": MetadataValue.int(max(len(p.encode("utf-8")) for p in pages.values())),
        **extra,
    })
