"""How the newest run ended is written beside the reports (reports/common/run_status.py), by the
command line and, for daemon runs, by the run-status sensors; a failed run marks the published index."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from dagster import DagsterInstance, asset, build_run_status_sensor_context, materialize

from assets.common.settings import PathSettings
from pipelines.sensors import run_outcome_sensors
from reports.common.run_status import STATUS_FILE, SUMMARY_FILE, record_run_outcome

INDEX = {"index.zh.html": '<html lang="zh-CN"><body>\n<h1>客户分析报告</h1></body></html>',
         "index.en.html": '<html lang="en"><body>\n<h1>Customer analytics reports</h1></body></html>'}


def _published_set(reports: Path) -> None:
    folder = reports / "runs" / "good-run"
    folder.mkdir(parents=True)
    for name, text in INDEX.items():
        (folder / name).write_text(text, encoding="utf-8")
    (reports / "latest").symlink_to("runs/good-run", target_is_directory=True)


def test_a_failed_run_is_written_down_and_marks_the_index_of_the_last_good_set(tmp_path: Path) -> None:
    reports = tmp_path / "reports"
    _published_set(reports)
    record_run_outcome(reports, "good-run", True, [], datetime(2026, 6, 30, 2, 5, tzinfo=UTC), "the log")
    assert json.loads((reports / STATUS_FILE).read_text())["status"] == "succeeded"
    assert "<div" not in (reports / "latest" / "index.en.html").read_text()

    for _ in range(2):  # failing twice leaves one notice, not two
        record_run_outcome(reports, "bad-run", False, ["core__orders", "analytics__rfm"],
                           datetime(2026, 7, 1, 2, 7, tzinfo=UTC), "the run bad-run in the Dagster UI (Runs)")
    status = json.loads((reports / STATUS_FILE).read_text())
    assert status["status"] == "failed" and status["last_success"]["run_id"] == "good-run"
    summary = (reports / SUMMARY_FILE).read_text()
    assert "FAILED" in summary and "  - core__orders" in summary and "good-run" in summary
    en = (reports / "latest" / "index.en.html").read_text()
    zh = (reports / "latest" / "index.zh.html").read_text()
    assert en.count('id="newest-run-failed"') == 1 and "failed at: core__orders, analytics__rfm" in en
    assert "2026-06-30 02:05 UTC" in en and "最新一次运行（2026-07-01 02:07 UTC）失败" in zh

    # a later run that succeeds without rebuilding the index (one report rematerialised) takes it off
    record_run_outcome(reports, "fixed-run", True, [], datetime(2026, 7, 1, 9, 0, tzinfo=UTC), "the log")
    assert (reports / "latest" / "index.en.html").read_text() == INDEX["index.en.html"]


def test_the_daemon_sensors_write_the_outcome_of_a_run_they_did_not_start(tmp_path: Path) -> None:
    paths = PathSettings(inbox_dir=str(tmp_path / "inbox"), warehouse_path=str(tmp_path / "w.duckdb"),
                         reports_dir=str(tmp_path / "reports"))
    _published_set(tmp_path / "reports")

    @asset
    def breaks() -> None:
        raise RuntimeError("the export server is down")

    instance = DagsterInstance.ephemeral()
    result = materialize([breaks], instance=instance, raise_on_error=False)
    _, on_failure = run_outcome_sensors(paths)
    context = build_run_status_sensor_context(sensor_name="record_run_failure", dagster_instance=instance,
                                              dagster_run=result.dagster_run,
                                              dagster_event=result.get_run_failure_event())
    on_failure(context)
    status = json.loads((tmp_path / "reports" / STATUS_FILE).read_text())
    assert status["status"] == "failed" and status["failed_steps"] == ["breaks"]
    assert status["run_id"] == result.run_id and result.run_id in status["where_to_look"]


def test_the_command_line_writes_the_outcome_of_its_run(tmp_path: Path) -> None:
    bad_settings = tmp_path / "settings.toml"
    bad_settings.write_text("[churn]\nhorizon_dayz = 90\n", encoding="utf-8")
    env = {**os.environ, "CRM_INBOX_DIR": str(tmp_path / "inbox"), "CRM_WAREHOUSE_PATH": str(tmp_path / "w.duckdb"),
           "CRM_REPORTS_DIR": str(tmp_path / "reports"), "CRM_SETTINGS_FILE": str(bad_settings)}
    env.pop("DAGSTER_HOME", None)
    completed = subprocess.run([sys.executable, "-m", "pipelines", "run"], env=env, capture_output=True, text=True,
                               timeout=600)
    assert completed.returncode == 1
    status = json.loads((tmp_path / "reports" / STATUS_FILE).read_text())
    assert status["status"] == "failed" and status["failed_steps"]
    assert "FAILED" in (tmp_path / "reports" / SUMMARY_FILE).read_text()
