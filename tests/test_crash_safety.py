"""A run killed while it writes the reports leaves readers the last complete set of pages; the backup
taken before it (assets/common/backups.py) puts warehouse, models and reports back; re-run, it gives
exactly what an uninterrupted run gives."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pipelines.tools.sample_data import generate
from reports.common.catalog import REPORTS
from tests.fingerprint import page_fingerprints, table_fingerprints

pytestmark = pytest.mark.e2e

FIRST, SECOND = "2026-03-31", "2026-06-30"
_AS_OF = re.compile(r'<meta name="as-of" content="([^"]*)">')


def _env(installation: Path, as_of: str = "") -> dict[str, str]:
    env = {**os.environ, "CRM_INBOX_DIR": str(installation / "inbox"),
           "CRM_WAREHOUSE_PATH": str(installation / "warehouse.duckdb"),
           "CRM_REPORTS_DIR": str(installation / "reports"), "SOURCE_DATE_EPOCH": "1767225600"}
    for name in ("DAGSTER_HOME", "CRM_AS_OF", "CRM_SETTINGS_FILE", "CRM_MODELS_DIR", "CRM_BACKUP_DIR",
                 "CRM_BACKUPS_KEEP"):
        env.pop(name, None)
    return {**env, "CRM_AS_OF": as_of} if as_of else env


def _pipelines(installation: Path, *command: str, as_of: str = "") -> subprocess.CompletedProcess:
    completed = subprocess.run([sys.executable, "-m", "pipelines", *command], env=_env(installation, as_of),
                               capture_output=True, text=True, timeout=600)
    assert completed.returncode == 0, completed.stderr[-3000:]
    return completed


def _set_dates(folder: Path) -> set[str]:
    """The as-of dates the report pages of a published folder say they show."""
    return {match.group(1) for page in folder.glob("*.html")
            for match in _AS_OF.finditer(page.read_text(encoding="utf-8"))}


def _expected_pages() -> set[str]:
    return {f"{entry.stem}{suffix}.html" for entry in REPORTS for suffix in (".zh", ".en", "")} | {
        "index.html", "index.zh.html", "index.en.html"}


def _fingerprint(installation: Path) -> dict:
    reports = installation / "reports"
    return {"tables": table_fingerprints(installation / "warehouse.duckdb"),
            "pages": {f"{folder}/{name}": digest for folder in ("latest", FIRST, SECOND) if (reports / folder).exists()
                      for name, digest in page_fingerprints(reports / folder).items()}}


def _kill_during_the_reports(installation: Path, as_of: str) -> None:
    """Start a run and SIGKILL it (its whole process group) once it has written its first report page."""
    runs, published = installation / "reports" / "runs", (installation / "reports" / "latest").resolve()
    process = subprocess.Popen([sys.executable, "-m", "pipelines", "run"], env=_env(installation, as_of),
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 300
        while not any(folder != published and any(folder.glob("*.html")) for folder in runs.iterdir()):
            assert process.poll() is None, "the run ended before writing a report page"
            assert time.monotonic() < deadline, "the run wrote no report page"
            time.sleep(0.02)
    finally:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)


def test_a_run_killed_during_the_reports_leaves_the_last_set_and_a_backup_that_restores_everything(
        tmp_path: Path) -> None:
    site = tmp_path / "site"
    generate(site / "inbox", tmp_path / "truth", customers=60, seed=5)
    _pipelines(site, "run", as_of=FIRST)
    after_first = _fingerprint(site)
    latest = site / "reports" / "latest"
    assert _set_dates(latest) == {FIRST}
    reference = tmp_path / "reference"  # the same installation, to run the second date uninterrupted
    shutil.copytree(site, reference, symlinks=True)

    _kill_during_the_reports(site, SECOND)
    assert _set_dates(latest) == {FIRST} and {p.name for p in latest.glob("*.html")} == _expected_pages()
    assert not (site / "reports" / SECOND).exists()
    assert _fingerprint(site)["tables"] != after_first["tables"]  # the killed run had changed the warehouse

    backups = _pipelines(site, "backups").stdout.split()
    assert len(backups) == 1  # taken before the killed run (before the first there was no warehouse)
    restored = _pipelines(site, "restore", "latest")
    assert Path(backups[0]).name in restored.stdout
    assert _fingerprint(site) == after_first  # tables and pages as the first run left them

    _pipelines(site, "run", as_of=SECOND)
    _pipelines(reference, "run", as_of=SECOND)
    assert _set_dates(latest) == {SECOND} and {p.name for p in latest.glob("*.html")} == _expected_pages()
    assert _fingerprint(site) == _fingerprint(reference)
