"""The reports index page (index.html in Chinese and English) and the asset that publishes it."""

import re
from datetime import date, datetime
from pathlib import Path

import duckdb
from dagster import AssetKey, MaterializeResult, MetadataValue, asset

from assets.analytics import ANALYTICS_ASSETS
from assets.as_of import resolve_as_of
from assets.quality.scorecard import QUALITY_ASSETS
from pipelines.resources import PipelineSettings, Warehouse
from reports.catalog import REPORTS
from reports.publish import generation_time, publish_report_files
from reports.rendering import template_environment
from reports.strings import LANGUAGES, STRINGS

LAYERS = ("raw", "staging", "core", "analytics", "quality")


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


def published_reports(folder: Path) -> list[dict]:
    """The catalogue's reports present in a dated reports folder, with the generation time written
    in each page (a report rematerialised on its own shows its own time)."""
    found = []
    for entry in REPORTS:
        page = folder / f"{entry.stem}.html"
        if not page.exists():
            continue
        match = _GENERATED_AT.search(page.read_text(encoding="utf-8")[:4000])
        generated = datetime.fromisoformat(match.group(1)) if match else None
        found.append({"entry": entry, "generated_at": generated})
    return found


def render_index_pages(
    as_of: date, generated_at: datetime, tables: list[dict], reports: list[dict], default_language: str
) -> dict[str, str]:
    """HTML of index.zh.html, index.en.html and index.html (the default language's copy)."""
    template = template_environment().get_template("index.html.j2")
    pages = {}
    for language in LANGUAGES:
        other = "en" if language == "zh" else "zh"
        pages[f"index.{language}.html"] = template.render(
            t=STRINGS[language],
            as_of=as_of.isoformat(),
            generated_at=generated_at.strftime("%Y-%m-%d %H:%M UTC"),
            tables=tables,
            reports=[{"file": f"{r['entry'].stem}.{language}.html", "title": r["entry"].title(language),
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
def reports_index(warehouse: Warehouse, settings: PipelineSettings) -> MaterializeResult:
    """The reports front page: `<reports dir>/<as_of>/index.html`, copied to `latest/index.html`.
    Lists every report with its as-of date and generation time, and every warehouse table with its
    row count, in Chinese (index.zh.html) and English (index.en.html); index.html opens in the
    language chosen in settings ([reports] default_language)."""
    with warehouse.connect(read_only=False) as conn:
        as_of = resolve_as_of(conn, settings.as_of_date())
        tables = warehouse_inventory(conn)
    language = settings.thresholds()["reports"]["default_language"]
    reports = published_reports(Path(settings.reports_dir) / as_of.isoformat())
    pages = render_index_pages(as_of, generation_time(), tables, reports=reports, default_language=language)
    folder = publish_report_files(Path(settings.reports_dir), as_of.isoformat(), pages)
    latest = Path(settings.reports_dir) / "latest" / "index.html"
    return MaterializeResult(
        metadata={
            "path": MetadataValue.path(str(folder / "index.html")),
            "latest": MetadataValue.path(str(latest)),
            "as_of": MetadataValue.text(as_of.isoformat()),
        }
    )
