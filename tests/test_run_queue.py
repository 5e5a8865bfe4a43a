"""One run at a time on a warehouse: a run waits for the run that holds it (assets/common/run_lock.py),
so two runs started together give exactly what the two give one after the other."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from assets.common.run_lock import RunLock, RunLockTimeout, current_holder, lock_path
from pipelines.tools.sample_data import generate
from tests.fingerprint import page_fingerprints, table_fingerprints
from tests.test_end_to_end import run_pipeline

EARLIER, LATER = "2026-03-31", "2026-06-30"


def test_a_second_run_waits_for_the_first_and_is_told_whom_it_waits_for(tmp_path: Path) -> None:
    warehouse = tmp_path / "warehouse.duckdb"
    first = RunLock(warehouse, timeout_seconds=5, run_id="run-one")
    first.acquire(say=pytest.fail)  # nobody holds it: no waiting, nothing said
    assert current_holder(warehouse)["run"] == "run-one"
    said: list[str] = []
    second = RunLock(warehouse, timeout_seconds=0.3, run_id="run-two")
    with pytest.raises(RunLockTimeout, match=r"still held by the run run-one \(process \d+"):
        second.acquire(say=said.append)
    assert len(said) == 1 and "Waiting for the run run-one" in said[0]
    first.release()
    assert current_holder(warehouse) is None
    second.acquire(say=pytest.fail)
    assert current_holder(warehouse)["run"] == "run-two"
    second.release()


def test_a_warehouse_folder_that_cannot_exist_gives_a_run_without_lock_and_says_why(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    said: list[str] = []
    lock = RunLock(blocker / "warehouse.duckdb", timeout_seconds=1)
    lock.acquire(say=said.append)
    assert len(said) == 1 and said[0].startswith(f"No run lock for {blocker / 'warehouse.duckdb'}")
    lock.release()  # nothing held, nothing to give back


def test_a_killed_run_releases_the_lock(tmp_path: Path) -> None:
    warehouse = tmp_path / "warehouse.duckdb"
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; from assets.common.run_lock import RunLock; "
         "RunLock(sys.argv[1], 5, 'doomed').acquire(print); print('held', flush=True); time.sleep(60)", str(warehouse)],
        stdout=subprocess.PIPE, text=True, cwd=Path(__file__).resolve().parents[1])
    try:
        assert holder.stdout.readline().strip() == "held"
        holder.send_signal(signal.SIGKILL)
        holder.wait(timeout=10)
        lock = RunLock(warehouse, timeout_seconds=5, run_id="next")
        lock.acquire(say=lambda message: None)  # the dead run's note may remain; the lock does not
        assert current_holder(warehouse)["run"] == "next"
        lock.release()
    finally:
        holder.kill()


def _fingerprint(workdir: Path) -> dict:
    """The tables, and the pages of latest/ and of each as-of date's folder (the run folders behind
    them are named after run ids, which differ)."""
    reports = workdir / "run-reports"
    pages = {f"{folder}/{name}": digest for folder in ("latest", EARLIER, LATER)
             for name, digest in page_fingerprints(reports / folder).items()}
    return {"tables": table_fingerprints(workdir / "run.duckdb"), "pages": pages}


def _installation(root: Path, name: str, sample: Path) -> Path:
    workdir = root / name
    shutil.copytree(sample, workdir / "inbox")
    return workdir


@pytest.mark.e2e
def test_two_runs_started_together_give_the_two_runs_one_after_the_other(tmp_path: Path) -> None:
    sample = tmp_path / "sample"
    generate(sample, tmp_path / "truth", customers=60, seed=5)

    one_after_the_other = _installation(tmp_path, "sequential", sample)
    for as_of in (EARLIER, LATER):
        completed = run_pipeline(one_after_the_other, one_after_the_other / "inbox", "run", CRM_AS_OF=as_of)
        assert completed.returncode == 0, completed.stderr[-3000:]

    together = _installation(tmp_path, "together", sample)
    started = [_start(together, EARLIER)]
    deadline = time.monotonic() + 120
    while current_holder(together / "run.duckdb") is None:  # the first run has taken the warehouse
        assert started[0].poll() is None and time.monotonic() < deadline, "the first run never took the lock"
        time.sleep(0.05)
    started.append(_start(together, LATER))
    outputs = [process.communicate(timeout=600) for process in started]
    assert [process.returncode for process in started] == [0, 0], outputs[1][1][-3000:]
    assert "Waiting for the run" in outputs[1][1]  # the second run said whom it waited for
    assert lock_path(together / "run.duckdb").exists() and current_holder(together / "run.duckdb") is None

    expected, found = _fingerprint(one_after_the_other), _fingerprint(together)
    assert {f"{LATER}/management.html", f"{EARLIER}/management.html"} <= set(found["pages"])
    assert found == expected


def _start(workdir: Path, as_of: str) -> subprocess.Popen:
    env = {**os.environ, "CRM_INBOX_DIR": str(workdir / "inbox"), "CRM_WAREHOUSE_PATH": str(workdir / "run.duckdb"),
           "CRM_REPORTS_DIR": str(workdir / "run-reports"), "SOURCE_DATE_EPOCH": "1767225600", "CRM_AS_OF": as_of}
    env.pop("DAGSTER_HOME", None)
    return subprocess.Popen([sys.executable, "-m", "pipelines", "run"], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
