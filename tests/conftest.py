"""Shared fixtures: a temporary inbox, warehouse and reports folder for each test."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from dagster import AssetSelection, materialize

from assets.common.settings import PathSettings
from pipelines.definitions import ALL_ASSETS, ALL_CHECKS, build_resources
from pipelines.tools.sample_data import generate


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


def paths_under(root: Path, as_of: str = "") -> PathSettings:
    """Paths of an installation whose inbox, warehouse and reports all lie under ``root``."""
    return PathSettings(inbox_dir=str(root / "inbox"), warehouse_path=str(root / "warehouse.duckdb"),
                        reports_dir=str(root / "reports"), as_of=as_of)


def default_sample(root: Path, *layers: str):
    """Generate the sample ``make run`` generates (2,000 customers, seed 7) under ``root`` and
    materialise the given layers (all of them when none is given): its paths and the run's result.
    The generator's ground truth is in ``root / "truth"``."""
    generate(root / "inbox", root / "truth", customers=2000, seed=7)
    paths = paths_under(root)
    result = materialize_layers(paths, *layers) if layers else materialize_all(paths)
    assert result.success
    return paths, result


def rows_as_dicts(conn: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> list[dict]:
    """The rows of a query as {column: value} dicts, in the query's order."""
    cursor = conn.execute(sql, params or [])
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def query(paths: PathSettings, sql: str) -> list[tuple]:
    with duckdb.connect(paths.warehouse_path, read_only=True) as conn:
        return conn.execute(sql).fetchall()
