"""Publishing report pages as whole sets: ``<reports>/latest/`` and ``<reports>/<as_of>/`` always
show one run's complete set of pages, never a mix of two runs.

A run writes its pages into its own folder, ``<reports>/runs/<run id>/``, which starts as the set
last published for the same as-of date (hard links, so unchanged pages cost no space), and each
page is written to a temporary name and renamed, so no reader sees half a page. When the set is
complete, ``<as_of>`` and ``latest`` (symbolic links) are switched to it, each in one rename: a
reader sees the old set or the new one. The index page, the last report of a run, switches them;
a run that rebuilds some reports without the index (one report rematerialised in the UI, say)
switches the dated folder after each of its reports, and ``latest`` when it shows the same date. Of the run folders,
the newest ``[reports] keep_runs`` and every one still linked are kept.

When the as-of date could not be determined (the warehouse could not be read and none is
configured) the set is seeded from, and published to, ``latest/`` only.
"""

from __future__ import annotations

import os
import shutil
import uuid
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from assets.common.files import link_or_copy, write_atomically
from checks.common.results import run_id_of

LATEST = "latest"
RUNS = "runs"


def generation_time() -> datetime:
    """When the reports were generated. SOURCE_DATE_EPOCH (the reproducible-builds convention) pins
    it, so two runs on the same exports can produce byte-identical reports."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch:
        return datetime.fromtimestamp(int(epoch), tz=UTC)
    return datetime.now(tz=UTC).replace(microsecond=0)


def report_folder(reports_dir: Path, as_of: date | None) -> Path:
    """The published folder of one as-of date's reports (``latest/`` when the date is unknown)."""
    return reports_dir / (as_of.isoformat() if as_of is not None else LATEST)


def run_key(context: Any) -> str:
    """The name of a run's set folder: its Dagster run id (a directly invoked asset, in a test or a
    notebook, gets a one-off name)."""
    return run_id_of(context)


def index_in_run(context: Any) -> bool:
    """Whether the index page is built later in this run (it then publishes the whole set): the
    run's asset selection, else the assets of the (possibly subset) job it runs."""
    try:
        selection = context.run.asset_selection or context.job_def.asset_layer.selected_asset_keys
    except Exception:  # direct invocation: nothing else of the run follows
        return False
    return any(key.path == ["reports", "index"] for key in selection)


def run_set_folder(reports_dir: Path, run: str, as_of: date | None) -> Path:
    """This run's set folder, created on first use from the set published for ``as_of``."""
    folder = reports_dir / RUNS / run
    if folder.is_dir():
        return folder
    seeding = reports_dir / RUNS / f".{run}.{os.getpid()}.seeding"
    shutil.rmtree(seeding, ignore_errors=True)
    seeding.mkdir(parents=True)
    published = report_folder(reports_dir, as_of)
    if published.is_dir():
        for page in published.iterdir():
            if page.is_file() and not page.name.startswith("."):
                link_or_copy(page, seeding / page.name)
    os.replace(seeding, folder)
    return folder


def write_pages(folder: Path, files: dict[str, str]) -> None:
    """Write ``files`` (name → HTML text) into a set folder, each in one rename."""
    for name, text in files.items():
        write_atomically(folder / name, text)


def publish_set(reports_dir: Path, as_of: date | None, folder: Path, keep_runs: int,
                latest_too: bool = True) -> Path:
    """Point ``<as_of>`` and (with ``latest_too``) ``latest`` at the set ``folder``, each in one
    rename, and remove run folders beyond the newest ``keep_runs`` that nothing links to; return the
    dated path."""
    dated = report_folder(reports_dir, as_of)
    for link in dict.fromkeys((dated, reports_dir / LATEST) if latest_too else (dated,)):
        _switch_link(link, folder)
    _prune(reports_dir, keep_runs)
    return dated


def publish_rebuilt_report(reports_dir: Path, as_of: date | None, folder: Path, keep_runs: int) -> Path:
    """Publish the set of a run that rebuilt some reports without the index: the dated folder, and
    ``latest`` only when it shows the same date (or nothing yet), so that rebuilding one report for
    another date never replaces the whole latest set by a set of one page."""
    latest, dated = reports_dir / LATEST, report_folder(reports_dir, as_of)
    same_date = not latest.exists() or (dated.exists() and latest.resolve() == dated.resolve())
    return publish_set(reports_dir, as_of, folder, keep_runs, latest_too=same_date)


def _switch_link(link: Path, folder: Path) -> None:
    """Make ``link`` a symbolic link to ``folder`` (relative, so the reports folder can be moved) in
    one rename. A real folder left there by an earlier version is moved into runs/ first."""
    if link.is_dir() and not link.is_symlink():
        os.replace(link, link.parent / RUNS / f"earlier-{link.name}-{uuid.uuid4().hex[:8]}")
    temporary = link.with_name(f".{link.name}.{os.getpid()}.link")
    temporary.unlink(missing_ok=True)
    temporary.symlink_to(os.path.relpath(folder, link.parent), target_is_directory=True)
    os.replace(temporary, link)


def _prune(reports_dir: Path, keep_runs: int) -> None:
    runs = reports_dir / RUNS
    linked = {entry.resolve() for entry in reports_dir.iterdir() if entry.is_symlink()}
    folders = sorted((f for f in runs.iterdir() if f.is_dir() and not f.name.startswith(".")),
                     key=lambda f: f.stat().st_mtime_ns, reverse=True)
    for old in folders[max(keep_runs, 1):]:
        if old.resolve() not in linked:
            shutil.rmtree(old, ignore_errors=True)


def report_files(stem: str, pages: dict[str, str], default_language: str) -> dict[str, str]:
    """One report's files: ``<stem>.<language>.html`` for each language, and ``<stem>.html`` in the
    default language."""
    files = {f"{stem}.{language}.html": text for language, text in pages.items()}
    files[f"{stem}.html"] = pages[default_language]
    return files
