"""The reports index page (index.html in Chinese and English) and the asset that publishes it.

The index lists every report of the catalogue: a link with its generation time when it was written,
marked with the cause when it could not be generated in this run (its page says so in a
``report-status`` meta element, or quality.asset_status recorded the failure) or is missing.
"""

import html
import re
import traceback
from datetime import date, datetime
from pathlib import Path

import duckdb
from dagster import AssetExecutionContext, AssetKey, MaterializeResult, MetadataValue, asset

from assets.analytics import ANALYTICS_ASSETS
from assets.common.resources import PipelineSettings, Warehouse
from assets.common.status import FAILED, AssetStatus, failure_status, read_status
from assets.quality.scorecard.asset import QUALITY_ASSETS
from reports.common.catalog import REPORTS
from reports.common.outcome import problem_sentences, report_asset_name
from reports.common.publish import LATEST, generation_time, publish_set, run_key, run_set_folder, write_pages
from reports.common.rendering import template_environment
from reports.common.settings import report_settings
from reports.common.shareable import known_folders, strip_known_folders
from reports.common.wording import LANGUAGES, wording

STRINGS = wording(__file__)["labels"]
LAYERS = ("raw", "staging", "core", "analytics", "quality")
OK, FAILED_STATE, MISSING = "ok", "failed", "missing"
# The head of a page: where its generation time and, when it failed, its status are written.
HEAD_CHARACTERS = 8000


def warehouse_inventory(conn: duckdb.DuckDBPyConnection) -> list[dict]:
    """Every warehouse table by layer with its row count, in a stable order."""
    tables = conn.execute(
        "SELECT table_schema, table_name FROM information_schema.tables "
        "WHERE table_schema IN ('raw', 'staging', 'core', 'analytics', 'quality') AND table_type = 'BASE TABLE'"
    ).fetchall()
    order = {layer: i for i, layer in enumerate(LAYERS)}
    inventory = []
    for schema, name in sorted(tables, key=lambda t: (order[t[0]], t[1])):
        rows = conn.execute(f'SELECT count(*) FROM "{schema}"."{name}"').fetchone()[0]
        inventory.append({"layer": schema, "table": name, "rows": int(rows)})
    return inventory


_GENERATED_AT = re.compile(r'<meta name="generated-at" content="([^"]+)">')
_FAILED = re.compile(r'<meta name="report-status" content="failed">')
_PROBLEM = {language: re.compile(rf'<meta name="report-problem-{language}" content="([^"]*)">')
            for language in LANGUAGES}


def _page_head(page: Path) -> str:
    with page.open(encoding="utf-8", errors="replace") as handle:
        return handle.read(HEAD_CHARACTERS)


def _page_problem(head: str) -> dict[str, str] | None:
    """The cause written in the head of a report page that failed, per language (None when it did not)."""
    if not _FAILED.search(head):
        return None
    return {language: html.unescape(m.group(1)) if (m := _PROBLEM[language].search(head)) else ""
            for language in LANGUAGES}


def published_reports(folder: Path, recorded: dict[str, AssetStatus | None] | None = None) -> list[dict]:
    """Every catalogue report with what the index says about it: ``state`` ok, failed or missing, the
    generation time written in its page (a report rematerialised on its own shows its own time) and
    ``problem`` (language → cause) when it failed or is missing. ``recorded`` holds each report's
    outcome in quality.asset_status by stem (a failure recorded there marks the report failed even when
    an older page of it is still in the folder)."""
    recorded = recorded or {}
    found = []
    for entry in REPORTS:
        page = folder / f"{entry.stem}.html"
        status = recorded.get(entry.stem)
        status_problem = problem_sentences(status) if status is not None and status.status == FAILED else None
        if not page.exists():
            found.append({"entry": entry, "state": MISSING, "generated_at": None, "problem": status_problem})
            continue
        head = _page_head(page)
        match = _GENERATED_AT.search(head)
        problem = _page_problem(head) or status_problem
        found.append({"entry": entry, "state": FAILED_STATE if problem else OK, "problem": problem,
                      "generated_at": datetime.fromisoformat(match.group(1)) if match else None})
    return found


def render_index_pages(
    as_of: date | None, generated_at: datetime, tables: list[dict], reports: list[dict], default_language: str,
    warehouse_problem: dict[str, str] | None = None,
) -> dict[str, str]:
    """HTML of index.zh.html, index.en.html and index.html (the default language's copy).
    ``warehouse_problem`` (language → sentence) says why the warehouse could not be read (no table
    list then)."""
    template = template_environment().get_template("index.html.j2")
    pages = {}
    for language in LANGUAGES:
        other = "en" if language == "zh" else "zh"
        t = STRINGS[language]
        pages[f"index.{language}.html"] = template.render(
            t=t,
            as_of=as_of.isoformat() if as_of else "—",
            generated_at=generated_at.strftime("%Y-%m-%d %H:%M UTC"),
            tables=tables,
            warehouse_problem=(warehouse_problem or {}).get(language, ""),
            reports=[{"stem": r["entry"].stem, "file": f"{r['entry'].stem}.{language}.html",
                      "title": r["entry"].title(language), "state": r["state"],
                      "problem": (r["problem"] or {}).get(language) or t["not_generated"],
                      "generated_at": r["generated_at"].strftime("%Y-%m-%d %H:%M UTC") if r["generated_at"]
                      else ""} for r in reports],
            other_language_file=f"index.{other}.html",
        )
    pages["index.html"] = pages[f"index.{default_language}.html"]
    return pages


@asset(
    key=["reports", "index"],
    group_name="reports",
    kinds={"html"},
    # The index lists every warehouse table, so it runs after all of them.
    deps=[key for assets_def in [*ANALYTICS_ASSETS, *QUALITY_ASSETS] for key in assets_def.keys]
    + [AssetKey(["reports", entry.stem]) for entry in REPORTS],
)
def reports_index(
    context: AssetExecutionContext, warehouse: Warehouse, settings: PipelineSettings
) -> MaterializeResult:
    """The reports front page, `<reports dir>/latest/index.html` (and `<reports dir>/<as_of>/`),
    written last: it completes the run's set of pages and then switches `latest/` and `<as_of>/` to
    that set in one step, so a reader never sees pages of two runs side by side. Lists every report
    with its as-of date and generation time, and every warehouse table with its row count, in
    Chinese (index.zh.html) and English (index.en.html); index.html opens in the language chosen in
    settings ([reports] default_language). A report that could not be generated in this run (or is
    missing) is marked with the cause in both languages; when the warehouse cannot be read the index
    is still written, saying so, from the pages in the reports folder."""
    configured = settings.as_of_date()
    as_of, tables, recorded, problem = configured, [], {}, None
    with known_folders(settings.inbox_dir, warehouse.path, settings.reports_dir, settings.models_dir):
        try:
            with warehouse.connect() as conn:
                as_of = settings.run_as_of(conn)
                tables = warehouse_inventory(conn)
                recorded = {entry.stem: read_status(conn, report_asset_name(entry.stem)) for entry in REPORTS}
        except Exception as error:
            context.log.error(f"reports/index: the warehouse could not be read; the index lists the pages only.\n"
                              f"{traceback.format_exc()}")
            problem = problem_sentences(failure_status("reports/index", error))
        options = report_settings(settings.rules())
        language = options.default_language
        reports_dir = Path(settings.reports_dir)
        run_set = run_set_folder(reports_dir, run_key(context), as_of)
        reports = published_reports(run_set, recorded)
        pages = render_index_pages(as_of, generation_time(), tables, reports=reports, default_language=language,
                                   warehouse_problem=problem)
        pages = {name: strip_known_folders(text) for name, text in pages.items()}
    write_pages(run_set, pages)
    folder = publish_set(reports_dir, as_of, run_set, options.keep_runs)
    latest = reports_dir / LATEST / "index.html"
    return MaterializeResult(
        metadata={
            "path": MetadataValue.path(str(folder / "index.html")),
            "latest": MetadataValue.path(str(latest)),
            "as_of": MetadataValue.text(as_of.isoformat() if as_of else "unknown"),
            "reports_failed": MetadataValue.int(sum(r["state"] == FAILED_STATE for r in reports)),
            "reports_missing": MetadataValue.int(sum(r["state"] == MISSING for r in reports)),
        }
    )
