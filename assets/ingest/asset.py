"""Raw layer: one asset per export kind, loading new export files from the inbox into ``raw.<kind>``."""


from pathlib import Path

from dagster import AssetExecutionContext, AssetsDefinition, MaterializeResult, MetadataValue, asset

from assets.common.metadata import table_metadata
from assets.common.resources import PipelineSettings, Warehouse
from assets.ingest.export_kinds import ExportKind, load_export_kinds, load_source_folders
from assets.ingest.loader import load_export_kind
from assets.ingest.settings import IngestSettings

RAW_DOC = """{description}

Source folder: `<inbox>/{source}/` (or a folder named like it, see `[sources]` in
export_kinds.toml; files in the inbox root or another folder are recognised by their header).
Text exports in UTF-8, GBK or UTF-16 with any delimiter and line end (`.csv`, `.txt`, `.tsv`,
`.csv.gz`, no extension) and Excel workbooks (`.xlsx`, `.xlsm`, `.xls`, every sheet). Each row is
one data row of an export file exactly as delivered, every value kept as text, headers (found
among the first rows, below any title lines) renamed to canonical columns: {columns}. Lineage
columns say where it came from: `_source_file`, `_sheet`, `_row_number` (as a spreadsheet shows
it), `_file_hash` (SHA-256 of the file), `_loaded_at`, `_file_modified_at` and `_file_sequence`
(the version its name states), the last two ordering exports delivered together.

A file is loaded once: a file whose content was loaded before adds nothing, and a copy of it under
another name is logged as a duplicate delivery in `raw.load_log`. A file or sheet that cannot be
read is listed in `quality.file_rejections` with the reason; the other files and sheets still load.
`raw.inbox_files` lists every file of the inbox with what became of it. No folder, or an empty one,
is normal: the table is simply empty."""


def build_raw_asset(kind: ExportKind) -> AssetsDefinition:
    """The ingestion asset of one export kind."""

    @asset(
        name=kind.name,
        key_prefix=["raw"],
        group_name="raw",
        kinds={"duckdb", "polars"},
        description=RAW_DOC.format(
            description=kind.description,
            source=kind.source,
            columns=", ".join(f"`{c}`" for c in kind.columns),
        ),
    )
    def _raw_asset(
        context: AssetExecutionContext, warehouse: Warehouse, settings: PipelineSettings
    ) -> MaterializeResult:
        kinds = load_export_kinds(settings.column_aliases_file or None)
        folders = load_source_folders(settings.column_aliases_file or None)
        options = IngestSettings.from_thresholds(settings.rules())
        with warehouse.connect() as conn:
            report = load_export_kind(conn, Path(settings.inbox_dir), kinds[kind.name], list(kinds.values()),
                                      options=options, folders=folders)
            for file_name, error in report.rejected.items():
                context.log.error(f"Rejected {file_name}: {error}")
            for file_name, reason in report.ignored.items():
                context.log.info(f"Ignored {file_name}: {reason}")
            metadata = table_metadata(
                conn,
                f"raw.{kind.name}",
                files_loaded=MetadataValue.json(report.files_loaded),
                rows_loaded_this_run=MetadataValue.int(report.rows_loaded),
                files_already_loaded=MetadataValue.int(len(report.already_loaded)),
                duplicate_deliveries=MetadataValue.json(report.duplicate_deliveries),
                files_rejected=MetadataValue.json(report.rejected),
                blank_rows_skipped=MetadataValue.int(report.blank_rows),
            )
        return MaterializeResult(metadata=metadata)

    return _raw_asset


RAW_ASSETS = [build_raw_asset(kind) for kind in load_export_kinds().values()]
