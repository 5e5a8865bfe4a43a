"""Writing report files to ``<reports>/<as_of>/`` and ``<reports>/latest/``.

Each file is written to a temporary name in its folder and renamed over the old one, so a reader (or
a run killed half-way) never sees a half-written page. Each report asset publishes its own files, so
one report can be regenerated without touching the others.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path


def generation_time() -> datetime:
    """When the reports were generated. SOURCE_DATE_EPOCH (the reproducible-builds convention) pins
    it, so two runs on the same exports can produce byte-identical reports."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch:
        return datetime.fromtimestamp(int(epoch), tz=UTC)
    return datetime.now(tz=UTC).replace(microsecond=0)


def write_atomically(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` (UTF-8) in one rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)


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
