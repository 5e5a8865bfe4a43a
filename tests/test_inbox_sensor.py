"""The inbox sensor (pipelines/sensors.py, assets/ingest/inbox_watch.py): a run for new or changed
contents once a burst has settled, never for a file already loaded, off by default."""

from __future__ import annotations

import os
import time
from pathlib import Path

from dagster import DefaultSensorStatus, RunRequest, SkipReason, build_sensor_context, materialize

from assets.common.run_lock import RunLock
from assets.common.settings import PathSettings
from assets.ingest.inbox_watch import look_at_inbox
from pipelines.definitions import ALL_ASSETS, build_resources
from pipelines.sensors import inbox_sensor

HEADER = "customer_id,order_date,quantity,amount\n"
LONG_AGO = 1_700_000_000  # seconds: a file that has long stopped changing


def _export(inbox: Path, name: str, rows: str, settled: bool = True) -> Path:
    path = inbox / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(HEADER + rows, encoding="utf-8")
    if settled:
        os.utime(path, (LONG_AGO, LONG_AGO))
    return path


def _evaluate(sensor, cursor: str | None):
    context = build_sensor_context(cursor=cursor)
    result = sensor(context)
    return result, context.cursor


def test_new_contents_start_one_run_and_the_same_contents_never_again(tmp_path: Path) -> None:
    paths = PathSettings(inbox_dir=str(tmp_path / "inbox"), warehouse_path=str(tmp_path / "w.duckdb"),
                         reports_dir=str(tmp_path / "reports"))
    sensor = inbox_sensor(paths, settle_seconds=30)
    assert sensor.default_status == DefaultSensorStatus.STOPPED  # off until switched on, like the schedule
    result, cursor = _evaluate(sensor, None)
    assert isinstance(result, SkipReason) and "No new" in result.skip_message  # empty inbox

    _export(tmp_path / "inbox", "sales/orders.csv", "C1,2026-01-05,1,100\n")
    _export(tmp_path / "inbox", "sales/more.csv", "C2,2026-01-06,1,50\n")
    first, cursor = _evaluate(sensor, cursor)
    assert isinstance(first, RunRequest) and "sales/orders.csv" in first.tags["crm/new_exports"]
    again, cursor = _evaluate(sensor, cursor)
    assert isinstance(again, SkipReason)  # nothing changed since

    renamed = tmp_path / "inbox" / "sales" / "orders-copy.csv"  # same content under another name, touched
    (tmp_path / "inbox" / "sales" / "orders.csv").rename(renamed)
    os.utime(renamed, (LONG_AGO + 5, LONG_AGO + 5))
    touched, cursor = _evaluate(sensor, cursor)
    assert isinstance(touched, SkipReason)

    _export(tmp_path / "inbox", "sales/orders-copy.csv", "C1,2026-01-05,2,200\n")  # changed content
    changed, cursor = _evaluate(sensor, cursor)
    assert isinstance(changed, RunRequest) and changed.run_key != first.run_key


def test_a_burst_still_arriving_waits_and_then_starts_one_run(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    _export(inbox, "sales/a.csv", "C1,2026-01-05,1,100\n")
    _export(inbox, "sales/b.csv", "C2,2026-01-05,1,100\n", settled=False)  # written just now
    _export(inbox, "sales/~$book.xlsx", "")  # an Excel lock file: neither starts nor holds back a run
    now = time.time_ns()
    waiting = look_at_inbox(inbox, {}, set, now, settle_seconds=60)
    assert waiting.waiting_for == ("sales/b.csv",) and not waiting.new_files and waiting.memory == {}
    later = look_at_inbox(inbox, waiting.memory, set, now + 61 * 10**9, settle_seconds=60)
    assert later.new_files == ("sales/a.csv", "sales/b.csv") and not later.waiting_for
    _export(inbox, "sales/orders.csv.crdownload", "C3,2026-01-05,1,100\n", settled=False)  # a download in progress
    assert look_at_inbox(inbox, later.memory, set, now + 61 * 10**9, settle_seconds=60).new_files == ()


def test_files_a_run_already_loaded_start_no_run_and_a_running_pipeline_is_not_disturbed(tmp_path: Path) -> None:
    paths = PathSettings(inbox_dir=str(tmp_path / "inbox"), warehouse_path=str(tmp_path / "w.duckdb"),
                         reports_dir=str(tmp_path / "reports"), as_of="2026-01-31")
    _export(tmp_path / "inbox", "sales/orders.csv", "C1,2026-01-05,1,100\nC2,2026-01-07,2,80\n")
    raw = [a for a in ALL_ASSETS if any(k.path[0] == "raw" for k in a.keys)]
    assert materialize(raw, resources=build_resources(paths)).success  # the loader has seen the file
    sensor = inbox_sensor(paths, settle_seconds=30)
    result, _ = _evaluate(sensor, None)  # a sensor switched on after the first run
    assert isinstance(result, SkipReason) and "No new" in result.skip_message

    lock = RunLock(paths.warehouse_path, timeout_seconds=1, run_id="nightly")
    lock.acquire(say=lambda message: None)
    try:
        busy, cursor = _evaluate(sensor, None)
        assert isinstance(busy, SkipReason) and "A run is using the warehouse" in busy.skip_message
        assert cursor is None
    finally:
        lock.release()
