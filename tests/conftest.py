"""Shared fixtures: a temporary inbox, warehouse and reports folder for each test."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from dagster import AssetSelection, materialize

from assets.common.settings import PathSettings
from pipelines.definitions import ALL_ASSETS, ALL_CHECKS, build_resources


@pytest.fixture
def paths(tmp_path: Path) -> PathSettings:
    """Paths of a throw-away installation under the test's temporary folder."""
    return PathSettings(
        inbox_dir=str(tmp_path / "inbox"),
        warehouse_path=str(tmp_path / "warehouse.duckdb"),
        reports_dir=str(tmp_path / "reports"),
    )


def materialize_all(paths: PathSettings, selection=None):
    """Materialise every asset (and run every check) against the given paths, in process."""
    return materialize([*ALL_ASSETS, *ALL_CHECKS], resources=build_resources(paths), selection=selection)


def materialize_layers(paths: PathSettings, *layers: str):
    """Materialise only the given layers (asset groups) and their checks: faster for ingest tests."""
    return materialize_all(paths, selection=AssetSelection.groups(*layers))


def query(paths: PathSettings, sql: str) -> list[tuple]:
    with duckdb.connect(paths.warehouse_path, read_only=True) as conn:
        return conn.execute(sql).fetchall()
