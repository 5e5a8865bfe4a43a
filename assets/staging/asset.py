"""Staging layer: typed, cleaned and de-duplicated copies of the raw exports."""


from dagster import AssetExecutionContext, AssetKey, AssetsDefinition, MaterializeResult, MetadataValue, asset

from assets.common.metadata import table_metadata
from assets.common.resources import PipelineSettings, Warehouse
from assets.staging.build import build_staging_table
from assets.staging.run_spec import prepare_staging_run
from assets.staging.specs import SPECS, StagingSpec

STAGING_DOC = """Typed and cleaned `{kind}`: one row per distinct business record ({key}).

Built from `raw.{kind}`: text trimmed, dates in any export layout (2024-08-22, 2024/8/22,
2024年8月22日, Excel serial numbers, ISO with time zone → China time) turned into dates, amounts such
as "¥1,234.50" or "1,234.50元" into numbers, Chinese mobile numbers into +86 E.164 form and e-mail
addresses lower-cased. Rows breaking a row rule ({rules}) go to `quality.quarantine` with file, row,
column, rule and raw value instead of this table. When the same record was delivered more than once
the latest delivery wins. Columns: {columns}; plus `_source_file`, `_sheet`, `_row_number`,
`_loaded_at` pointing back at the export row."""


def build_staging_asset(spec: StagingSpec) -> AssetsDefinition:
    """The staging asset of one export kind."""
    rules = "; ".join(f"{r.column}: {r.rule}" for r in spec.rules) or "none"

    @asset(
        name=spec.kind,
        key_prefix=["staging"],
        group_name="staging",
        kinds={"duckdb"},
        deps=[AssetKey(["raw", spec.kind])],
        description=STAGING_DOC.format(
            kind=spec.kind,
            key=", ".join(spec.business_key),
            rules=rules,
            columns=", ".join(f"`{c}`" for c in spec.columns),
        ),
    )
    def _staging_asset(context: AssetExecutionContext, warehouse: Warehouse, settings: PipelineSettings
                       ) -> MaterializeResult:
        with warehouse.connect() as conn:
            run = prepare_staging_run(conn, spec.kind, settings.rules())
            result = build_staging_table(conn, run.spec)
            context.log.info(
                f"{spec.kind}: {result.rows_read} read = {result.rows_staged} staged + "
                f"{result.rows_quarantined} quarantined + {result.duplicates_collapsed} duplicates collapsed"
            )
            metadata = table_metadata(
                conn,
                f"staging.{spec.kind}",
                rows_read=MetadataValue.int(result.rows_read),
                rows_quarantined=MetadataValue.int(result.rows_quarantined),
                duplicates_collapsed=MetadataValue.int(result.duplicates_collapsed),
                **run.metadata,
            )
        return MaterializeResult(metadata=metadata)

    return _staging_asset


STAGING_ASSETS = [build_staging_asset(spec) for spec in SPECS.values()]
