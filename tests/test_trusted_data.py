"""The default sample against the generator's ground truth: the quarantine holds exactly the
unrecoverable injected rows, and every export's rows reconcile."""

from pathlib import Path

import duckdb
import polars as pl
import pytest

from assets.common.settings import PathSettings
from assets.ingest.readers import file_sha256
from tests.conftest import default_sample


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> tuple[PathSettings, Path]:
    root = tmp_path_factory.mktemp("sample")
    paths, _ = default_sample(root, "raw", "staging")
    return paths, root


def _by_content(inbox: Path, frame: pl.DataFrame, file_column: str) -> pl.DataFrame:
    """Name files by content hash: a duplicate delivery is the same file whichever copy was loaded."""
    hashes = {f: file_sha256(inbox / f) for f in frame[file_column].unique().to_list()}
    return frame.with_columns(pl.col(file_column).replace_strict(hashes).alias("content"))


def test_quarantine_holds_exactly_the_unrecoverable_injected_rows(sample):
    paths, root = sample
    truth = pl.read_parquet(root / "truth" / "dirt.parquet").filter(~pl.col("recoverable"))
    with duckdb.connect(paths.warehouse_path, read_only=True) as conn:
        quarantined = conn.sql(
            "SELECT DISTINCT source_file AS file, sheet, row_number AS row FROM quality.quarantine"
        ).pl()
    expected = _by_content(root / "inbox", truth, "file").select("content", "sheet", "row").unique()
    actual = _by_content(root / "inbox", quarantined, "file").select("content", "sheet", "row").unique()
    assert expected.height > 50
    missing = expected.join(actual, on=["content", "sheet", "row"], how="anti", nulls_equal=True)
    unexpected = actual.join(expected, on=["content", "sheet", "row"], how="anti", nulls_equal=True)
    assert missing.height == 0, missing
    assert unexpected.height == 0, unexpected


def test_every_export_reconciles(sample):
    paths, _ = sample
    with duckdb.connect(paths.warehouse_path, read_only=True) as conn:
        rows = conn.execute(
            "SELECT kind, rows_read, rows_staged, rows_quarantined, duplicates_collapsed FROM quality.reconciliation"
        ).fetchall()
    assert len(rows) == 8
    for kind, read, staged, quarantined, collapsed in rows:
        assert read > 0, kind
        assert read == staged + quarantined + collapsed, kind


def test_injected_duplicates_are_collapsed(sample):
    paths, root = sample
    truth = pl.read_parquet(root / "truth" / "dirt.parquet")
    injected = truth.filter(pl.col("dirt_type") == "duplicate_row").group_by("kind").len()
    with duckdb.connect(paths.warehouse_path, read_only=True) as conn:
        repeated = dict(conn.execute("SELECT kind, repeated_key_rows FROM quality.reconciliation").fetchall())
        delivered_twice = conn.execute(
            "SELECT sum(rows_read) FROM raw.load_log WHERE status = 'duplicate_delivery'").fetchone()[0]
    for kind, count in injected.iter_rows():
        # every injected copy collapsed; the duplicated delivery's own copies collapse at file level
        assert repeated[kind] >= count * 0.9, (kind, repeated[kind], count)
    assert delivered_twice > 1000
