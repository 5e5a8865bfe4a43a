"""Raw layer: one asset per export kind, loading new export files from the inbox into ``raw.<kind>``."""


from pathlib import Path

from dagster import AssetExecutionContext, AssetsDefinition, MaterializeResult, MetadataValue, asset

from assets.ingest.export_kinds import ExportKind, load_export_kinds
from assets.ingest.loader import load_export_kind
from assets.metadata import table_metadata
from pipelines.resources import PipelineSettings, Warehouse

RAW_DOC = """{description}

Source folder: `<inbox>/{source}/` (CSV in UTF-8 or GBK, or Excel). Each row is one data row of an
export file exactly as delivered, every value kept as text, headers renamed to canonical columns:
{columns}. Lineage columns say where it came from: `_source_file`, `_sheet`, `_row_number` (as a
spreadsheet shows it, header = row 1), `_file_hash` (SHA-256 of the file) and `_loaded_at`.

A file is loaded once: a file whose content was loaded before adds nothing, and a copy of it under
another name is logged as a duplicate delivery in `raw.load_log`. A file that cannot be read is
listed in `quality.file_rejections` with the reason; the other files still load. No folder, or an
empty one, is normal: the table is simply empty."""


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
        this_kind = kinds[kind.name]
        same_source = [k for k in kinds.values() if k.source == kind.source]
        with warehouse.connect() as conn:
            report = load_export_kind(conn, Path(settings.inbox_dir), this_kind, same_source)
            for file_name, error in report.rejected.items():
                context.log.error(f"Rejected {file_name}: {error}")
            metadata = table_metadata(
                conn,
                f"raw.{kind.name}",
                files_loaded=MetadataValue.json(report.files_loaded),
                rows_loaded_this_run=MetadataValue.int(report.rows_loaded),
                files_already_loaded=MetadataValue.int(len(report.already_loaded)),
                duplicate_deliveries=MetadataValue.json(report.duplicate_deliveries),
                files_rejected=MetadataValue.json(report.rejected),
            )
        return MaterializeResult(metadata=metadata)

    return _raw_asset


RAW_ASSETS = [build_raw_asset(kind) for kind in load_export_kinds().values()]
