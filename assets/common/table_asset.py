"""Declaring an asset that is one warehouse table: its key is the table's name and its group the
table's layer (``analytics.rfm`` → key ``analytics/rfm``, group ``analytics``), so the Dagster graph
and the warehouse always name a table the same way."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from dagster import AssetKey, asset


def table_key(table: str) -> AssetKey:
    """The asset key of a warehouse table: ``"core.orders"`` → ``core/orders``."""
    return AssetKey(table.split("."))


def table_asset(table: str, deps: Iterable[str] = (), **asset_arguments: Any) -> Callable:
    """``@asset`` for the table ``table``, depending on the tables ``deps`` (names such as
    ``"core.orders"``); other ``@asset`` arguments pass through."""
    schema = table.split(".")[0]
    return asset(key=table_key(table), group_name=schema, kinds={"duckdb"},
                 deps=[table_key(dep) for dep in deps], **asset_arguments)
