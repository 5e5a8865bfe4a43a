"""The read-only snapshot of the warehouse, published after the reports of a run."""

from dagster import AssetExecutionContext, AssetKey, MaterializeResult, MetadataValue, asset

from assets.common.resources import Warehouse
from assets.operations.logic import publish_snapshot


@asset(
    key=["operations", "warehouse_snapshot"],
    group_name="operations",
    kinds={"duckdb"},
    deps=[AssetKey(["reports", "index"])],
)
def warehouse_snapshot(context: AssetExecutionContext, warehouse: Warehouse) -> MaterializeResult:
    """A read-only copy of the whole warehouse for BI tools, notebooks and anyone reading the data
    outside a run: `<warehouse stem>.readonly.duckdb` beside the warehouse (for the default
    `data/warehouse.duckdb`: `data/warehouse.readonly.duckdb`). Published last in a run, after every
    table and report was built, by swapping a finished copy in; a reader with the old copy open
    keeps it until it reconnects, and never holds up a run. Open it read-only:
    `duckdb.connect("data/warehouse.readonly.duckdb", read_only=True)`."""
    with warehouse.connect() as conn:
        path = publish_snapshot(conn, warehouse.path)
    context.log.info(f"Read-only snapshot published: {path}")
    return MaterializeResult(metadata={"path": MetadataValue.path(str(path)),
                                       "size_bytes": MetadataValue.int(path.stat().st_size)})
