"""Same tables and pages as recorded: the default sample (the one `make run` generates) run through
`python -m pipelines run` must give the fingerprint in tests/fingerprints/default_sample.json
(tests/fingerprint.py says what it covers and how to record it after an intended change)."""

import json
from pathlib import Path

import pytest

from tests.fingerprint import RECORDED, differences, fingerprint

pytestmark = pytest.mark.e2e


def test_the_default_sample_gives_the_recorded_tables_and_pages(tmp_path: Path):
    recorded = json.loads(RECORDED.read_text(encoding="utf-8"))
    now = fingerprint(tmp_path)
    assert len(now["tables"]) >= 50 and len(now["pages"]) >= 15, "the run built less than the recorded set"
    changed = differences(recorded, now)
    assert not changed, ("tables or pages differ from the recorded fingerprint (if the change is intended, "
                         "record it: python -m tests.fingerprint record):\n" + "\n".join(changed))


def test_the_fingerprint_sees_a_changed_value_and_ignores_row_order(tmp_path: Path):
    import duckdb

    from tests.fingerprint import table_fingerprints

    def prints(rows: list[tuple]) -> list:
        path = tmp_path / f"w{len(list(tmp_path.iterdir()))}.duckdb"
        with duckdb.connect(str(path)) as conn:
            conn.execute("CREATE TABLE t (id INTEGER, score DOUBLE, loaded_at TIMESTAMP)")
            conn.executemany("INSERT INTO t VALUES (?, ?, ?)", rows)
        return table_fingerprints(path)["main.t"]

    base = prints([(1, 0.5, "2026-01-01 10:00:00"), (2, 0.25, "2026-01-01 10:00:00")])
    assert prints([(2, 0.25, "2026-03-01 11:00:00"), (1, 0.5, "2026-03-01 11:00:00")]) == base  # order, clock
    assert prints([(1, 0.5 + 1e-12, None), (2, 0.25, None)]) == base  # beyond 6 significant digits
    assert prints([(1, 0.5001, None), (2, 0.25, None)]) != base
    assert prints([(1, 0.5, None)])[0] == 1
