"""Building a report so that a failure in it never stops the other reports or the index.

Every report asset runs through ``build_report``: it reads the settings and the as-of date, renders
the pages and publishes them. When gathering the data or rendering raises, the asset still writes
its pages (Chinese, English and the default language's copy) saying, in the page's language, that
the report could not be generated in this run and why (the cause masked, without machine paths,
escaped by the template); it logs the traceback and succeeds, so the index still runs and marks the
report. Either way the outcome is recorded as ``reports/<stem>`` in ``quality.asset_status``, which
the report's ``<stem>_built_as_configured`` check reads (red in the UI when the report failed); a
warehouse that cannot be reached does not stop the page from being written.
"""

from __future__ import annotations

import inspect
import time
import traceback
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any

import duckdb
from dagster import AssetExecutionContext, AssetsDefinition, MaterializeResult, MetadataValue
from dagster import asset as dagster_asset

from assets.common.resources import PipelineSettings, Warehouse
from assets.common.status import AssetStatus, failure_status, ok_status, record_status
from reports.common.publish import (
    LATEST,
    generation_time,
    index_in_run,
    publish_rebuilt_report,
    report_files,
    report_folder,
    run_key,
    run_set_folder,
    write_pages,
)
from reports.common.settings import ReportSettings, report_settings
from reports.common.shareable import known_folders, shareable_text, strip_known_folders
from reports.common.table_reports import render_pages
from reports.common.wording import LANGUAGES, wording

# render(conn, as_of, generated_at, currency_symbol, thresholds) → {language: html}
Renderer = Callable[[duckdb.DuckDBPyConnection, date, datetime, str, dict[str, Any]], dict[str, str]]
DEFAULT_LANGUAGE = ReportSettings.default_language
# The paragraph a report asset that shows churn, CLV or value-at-risk figures ends its description with.
PREDICTIONS_NOTE = ("Predictions: where a churn, CLV or value-at-risk figure comes from a fallback, the sentence the "
                    "prediction\nrecorded in quality.asset_status is shown above it; where the prediction failed, "
                    "instead of it.")

FAILED_PAGE = wording(__file__)["failed_page"]


def report_asset_name(stem: str) -> str:
    """The asset key of report ``stem`` written with slashes, as quality.asset_status stores it."""
    return f"reports/{stem}"


def problem_sentences(status: AssetStatus) -> dict[str, str]:
    """The recorded sentence of a status in each language, as a shareable page may show it."""
    return {language: shareable_text(status.message(language)) for language in LANGUAGES}


def render_failure_pages(stem: str, as_of: date | None, generated_at: datetime, currency_symbol: str,
                         status: AssetStatus) -> dict[str, str]:
    """The page of report ``stem`` saying it could not be generated and why, in each language."""
    problem = problem_sentences(status)
    return render_pages(stem, "report_failed.html.j2", as_of, generated_at, currency_symbol,
                        lambda language: {"s": FAILED_PAGE[language], "problem": problem, "stem": stem})


def _failed(context: AssetExecutionContext, asset: str, error: Exception, doing: str) -> AssetStatus:
    context.log.error(f"{asset}: {doing} failed; the report says so and the run goes on.\n"
                      f"{traceback.format_exc()}")
    return failure_status(asset, error)


def record_report_status(context: AssetExecutionContext, warehouse: Warehouse, status: AssetStatus,
                         as_of: date | None) -> None:
    """Record the report's outcome; a warehouse that cannot be reached is logged, not raised."""
    try:
        with warehouse.connect() as conn:
            record_status(conn, status, as_of)
    except Exception:  # the page is written already: a status that cannot be stored must not undo that
        context.log.warning(f"{status.asset}: the outcome '{status.status}' could not be recorded in "
                            f"quality.asset_status.\n{traceback.format_exc()}")


def build_report(context: AssetExecutionContext, stem: str, warehouse: Warehouse, settings: PipelineSettings,
                 render: Renderer) -> MaterializeResult:
    """Render report ``stem`` with ``render`` and publish it, or publish the page saying why it could
    not be generated; record the outcome; never raise."""
    asset = report_asset_name(stem)
    started = time.perf_counter()
    generated_at = generation_time()
    options = ReportSettings()
    as_of: date | None = None
    status = ok_status(asset)
    pages: dict[str, str] | None = None
    with known_folders(settings.inbox_dir, warehouse.path, settings.reports_dir, settings.models_dir):
        try:
            thresholds = settings.rules()
            options = report_settings(thresholds)
            as_of = settings.as_of_date()
            with warehouse.connect() as conn:
                as_of = settings.run_as_of(conn)
                pages = render(conn, as_of, generated_at, options.currency_symbol,
                               thresholds)
        except Exception as error:
            status = _failed(context, asset, error, "gathering the data or rendering")
            pages = render_failure_pages(stem, as_of, generated_at, options.currency_symbol,
                                         status)
        pages = {language: strip_known_folders(html) for language, html in pages.items()}
    language = options.default_language
    metadata: dict[str, Any] = {}
    try:
        reports_dir = Path(settings.reports_dir)
        folder = run_set_folder(reports_dir, run_key(context), as_of)
        write_pages(folder, report_files(stem, pages, language if language in pages else DEFAULT_LANGUAGE))
        if not index_in_run(context):  # no index page later in this run to publish the set
            publish_rebuilt_report(reports_dir, as_of, folder, options.keep_runs)
        metadata = {
            "path": MetadataValue.path(str(report_folder(reports_dir, as_of) / f"{stem}.html")),
            "latest": MetadataValue.path(str(Path(settings.reports_dir) / LATEST / f"{stem}.html")),
            "size_bytes": MetadataValue.int(max(len(p.encode("utf-8")) for p in pages.values())),
        }
    except Exception as error:
        status = _failed(context, asset, error, "writing the pages")
    record_report_status(context, warehouse, status, as_of)
    return MaterializeResult(metadata={
        **metadata,
        "as_of": MetadataValue.text(as_of.isoformat() if as_of else "unknown"),
        "status": MetadataValue.text(status.status),
        "message": MetadataValue.text(status.message_en),
        "render_seconds": MetadataValue.float(round(time.perf_counter() - started, 2)),
    })


def failure_note(stem: str) -> str:
    """The last paragraph of every report asset's description: what ``build_report`` does on a failure."""
    return (f"If gathering the data or rendering fails, the pages say so and why, the failure is recorded as\n"
            f"`{report_asset_name(stem)}` in quality.asset_status (check `{stem}_built_as_configured` turns red)\n"
            f"and the asset still succeeds, so the other reports and the index are written.")


def report_asset(stem: str, *, kinds: set[str], deps: list[Any],
                 shows_predictions: bool = False) -> Callable[[Callable[..., MaterializeResult]], AssetsDefinition]:
    """The asset ``reports/<stem>`` (group ``reports``) of a function that builds it with ``build_report``;
    its description is the function's docstring followed by ``PREDICTIONS_NOTE`` (when the report
    ``shows_predictions``) and ``failure_note(stem)``."""
    notes = [PREDICTIONS_NOTE] if shows_predictions else []

    def decorate(fn: Callable[..., MaterializeResult]) -> AssetsDefinition:
        fn.__doc__ = "\n\n".join([inspect.cleandoc(fn.__doc__ or ""), *notes, failure_note(stem)])
        return dagster_asset(key=["reports", stem], group_name="reports", kinds=kinds, deps=deps)(fn)

    return decorate
