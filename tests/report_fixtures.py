"""Installations for the report tests, and what a published page shows.

``build_report_sample``: generated exports with hostile company names, run once.

Some CRM accounts get a company name that would run script if a page inserted it unescaped: the
most valuable buyer still buying (a VIP key account, ``...Evil Co``) and every buyer drifting away
without having churned yet (likely churn-watchlist entries, ``...Evil Drift Co <n>``). The rest of the
sample is what ``pipelines.tools.sample_data.generate`` writes.

``build_upstream`` / ``materialize_reports``: the pipeline once on a small inbox, then the reports on
their own (so a test can make one report fail, or change the warehouse, and rebuild only them);
``placeholders``, ``absolute_paths`` and ``index_entries`` read a published page.
"""

from __future__ import annotations

import csv
import io
import os
import re
import shutil
import warnings
from dataclasses import dataclass, replace
from html.parser import HTMLParser
from pathlib import Path

import duckdb
import polars as pl
from dagster import AssetSelection, DagsterInstance, materialize

from assets.common.settings import PathSettings
from pipelines.definitions import ALL_ASSETS, ALL_CHECKS, build_resources
from pipelines.tools.sample_data import generate
from reports.common.catalog import REPORTS
from reports.common.charts import plotly_script
from tests.conftest import materialize_all

HOSTILE_PAYLOAD = '<script>window.__xss=1</script><img src=x onerror="window.__xss=2">'
HOSTILE_VIP = f"{HOSTILE_PAYLOAD}Evil Co"
HOSTILE_DRIFTING = f"{HOSTILE_PAYLOAD}Evil Drift Co"
# 2026-01-01 00:00 UTC: pins the generation time written in the pages.
SOURCE_DATE_EPOCH = "1767225600"

ACCOUNT_ID_HEADERS = ("客户ID", "account_id", "Account ID")
COMPANY_HEADERS = ("公司名称", "company", "Company Name")


@dataclass(frozen=True)
class ReportSample:
    paths: PathSettings
    latest: Path
    hostile_customers: dict[str, str]
    """Hostile company name → customer_id in the warehouse."""


def _hostile_accounts(truth: Path) -> dict[str, str]:
    """CRM account id → hostile name: the most valuable buyer still buying steadily (``Evil Co``) and
    every buyer drifting away without having churned yet (``Evil Drift Co 1``, ``2``, ...; the churn
    watchlist should show some of them)."""
    people = pl.read_parquet(truth / "customers.parquet").filter(
        ~pl.col("is_prospect") & pl.col("crm_has_sales_code") & pl.col("churn_date").is_null()
    )
    order = [pl.col("value_weight"), pl.col("customer_id")]
    steady = people.filter(pl.col("drift_start").is_null()).sort(order, descending=[True, False])
    drifting = people.filter(pl.col("drift_start").is_not_null()).sort(order, descending=[True, False])
    chosen = {steady.item(0, "crm_account_id"): HOSTILE_VIP}
    for number, account in enumerate(drifting.get_column("crm_account_id").to_list(), start=1):
        chosen[account] = f"{HOSTILE_DRIFTING} {number}"
    return chosen


def _crm_accounts_file(inbox: Path) -> tuple[Path, str]:
    """The CRM accounts CSV export of the sample and its encoding (the generator writes GBK)."""
    for path in sorted((inbox / "crm").glob("*.csv")):
        for encoding in ("utf-8-sig", "gbk"):
            try:
                header = path.read_bytes().decode(encoding).splitlines()[0]
            except (UnicodeDecodeError, IndexError):
                continue
            names = [h.strip() for h in header.split(",")]
            if any(h in names for h in COMPANY_HEADERS) and any(h in names for h in ACCOUNT_ID_HEADERS):
                return path, encoding
    raise AssertionError(f"no CRM accounts CSV in {inbox / 'crm'}")


def inject_hostile_companies(inbox: Path, truth: Path) -> dict[str, str]:
    """Rewrite the CRM accounts export (same encoding and line ends) with hostile company names;
    returns account id → hostile name."""
    path, encoding = _crm_accounts_file(inbox)
    raw = path.read_bytes()
    line_end = "\r\n" if b"\r\n" in raw[:4000] else "\n"
    rows = list(csv.reader(io.StringIO(raw.decode(encoding), newline="")))
    header = [h.strip() for h in rows[0]]
    id_col = next(header.index(h) for h in ACCOUNT_ID_HEADERS if h in header)
    company_col = next(header.index(h) for h in COMPANY_HEADERS if h in header)
    wanted = _hostile_accounts(truth)
    changed = {}
    for row in rows[1:]:
        if row and row[id_col] in wanted:
            row[company_col] = wanted[row[id_col]]
            changed[row[id_col]] = wanted[row[id_col]]
    assert changed.keys() == wanted.keys(), f"accounts {set(wanted) - set(changed)} not in {path.name}"
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator=line_end).writerows(rows)
    # The payload is ASCII, so the GBK export stays GBK.
    path.write_bytes(buffer.getvalue().encode(encoding))
    return changed


def build_report_sample(root: Path, customers: int = 300, seed: int = 11) -> ReportSample:
    """Generate the sample under ``root``, inject the hostile names and materialise every asset once
    with a pinned generation time."""
    inbox, truth = root / "inbox", root / "truth"
    generate(inbox, truth, customers=customers, seed=seed)
    injected = inject_hostile_companies(inbox, truth)
    paths = PathSettings(inbox_dir=str(inbox), warehouse_path=str(root / "warehouse.duckdb"),
                         reports_dir=str(root / "reports"))
    previous = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = SOURCE_DATE_EPOCH
    try:
        result = materialize_all(paths)
    finally:
        if previous is None:
            os.environ.pop("SOURCE_DATE_EPOCH", None)
        else:
            os.environ["SOURCE_DATE_EPOCH"] = previous
    assert result.success
    hostile = {}
    with duckdb.connect(paths.warehouse_path, read_only=True) as conn:
        for name in injected.values():
            found = conn.execute("SELECT customer_id FROM analytics.customer_360 WHERE company = ?", [name]).fetchall()
            assert len(found) == 1, f"{name!r} is not exactly one customer in analytics.customer_360: {found}"
            hostile[name] = found[0][0]
    return ReportSample(paths=paths, latest=Path(paths.reports_dir) / "latest", hostile_customers=hostile)


# --- small installations for the report tests: the pipeline once, then the reports on their own ----------

REPORT_LANGUAGES = ("zh", "en")
# Every file a run publishes: each report's pages in both languages and its default-language copy, and the index.
PUBLISHED_FILES = tuple(f"{stem}{suffix}.html" for stem in (*(e.stem for e in REPORTS), "index")
                        for suffix in ("", *(f".{language}" for language in REPORT_LANGUAGES)))


def build_upstream(paths: PathSettings) -> list[str]:
    """Materialise every asset but the reports (without checks) and return the steps that failed: a
    defect upstream leaves tables missing, which the reports must cope with, so it is not raised here
    (the tests of the failing asset's own module catch it)."""
    result = materialize(ALL_ASSETS, resources=build_resources(paths), raise_on_error=False,
                         selection=AssetSelection.all() - AssetSelection.groups("reports"))
    failed = [event.step_key for event in result.all_events if event.is_step_failure]
    if failed:
        warnings.warn(f"upstream steps failed on {paths.inbox_dir}: {failed}", stacklevel=2)
    return failed


def materialize_reports(paths: PathSettings, instance: DagsterInstance | None = None, with_checks: bool = True):
    """Materialise the report assets and the index (nothing upstream), with the reports' status checks
    unless ``with_checks`` is False."""
    return materialize([*ALL_ASSETS, *(ALL_CHECKS if with_checks else ())], resources=build_resources(paths),
                       instance=instance, selection=AssetSelection.groups("reports"))


def copy_installation(paths: PathSettings, root: Path, **changes: str) -> PathSettings:
    """A copy of an installation's warehouse under ``root`` with its own, empty reports folder."""
    root.mkdir(parents=True, exist_ok=True)
    shutil.copy(paths.warehouse_path, root / "warehouse.duckdb")
    return replace(paths, warehouse_path=str(root / "warehouse.duckdb"), reports_dir=str(root / "reports"),
                   **changes)


# --- what a page shows ---------------------------------------------------------------------------------------

# Python or JavaScript spellings of a missing or infinite value that must never reach a manager.
PLACEHOLDER = re.compile(r"(?<![\w-])(None|nan|NaN|NaT|inf|-inf|Infinity|-Infinity|undefined|null)(?![\w-])")
# An absolute POSIX or Windows path with at least two parts.
ABSOLUTE_PATH = re.compile(r"(?<![\w.~/:\\-])/(?:[^\s/'\"<>]+/)+[^\s/'\"<>]*|(?<![\w\\])[A-Za-z]:\\[^\s'\"<>]+")


class _PageParts(HTMLParser):
    """The text a reader sees and the attribute values of a page, and the chart scripts apart."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.in_code = 0
        self.shown: list[str] = []
        self.scripts: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self.in_code += 1
        self.shown += [value for _, value in attrs if value]

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self.in_code -= 1

    def handle_data(self, data):
        (self.scripts if self.in_code else self.shown).append(data)


def page_parts(html: str) -> _PageParts:
    parts = _PageParts()
    parts.feed(html.replace(plotly_script(), ""))
    return parts


def placeholders(html: str) -> list[str]:
    """Every "None", "nan", "NaT", "inf" … a reader could see (text and attributes), and NaN or
    Infinity in the chart data (invalid JSON for Plotly)."""
    parts = page_parts(html)
    found = [f"{m.group(0)!r} in {text.strip()[:80]!r}" for text in parts.shown for m in PLACEHOLDER.finditer(text)]
    found += [f"{m.group(0)!r} in chart data" for script in parts.scripts if "Plotly.newPlot" in script
              for m in re.finditer(r"\b(NaN|Infinity)\b", script)]
    return found


def absolute_paths(html: str) -> list[str]:
    """Absolute paths a reader could see on the page (text and attribute values)."""
    return [m.group(0) for text in page_parts(html).shown for m in ABSOLUTE_PATH.finditer(text)]


def index_entries(html: str) -> dict[str, tuple[str, str]]:
    """Report stem → (status, text) of each entry of an index page."""
    return {m.group(1): (m.group(2), re.sub(r"<[^>]+>", "", m.group(3)).strip())
            for m in re.finditer(r'<li data-report="([^"]+)" data-status="([^"]+)">(.*?)</li>', html, re.S)}
