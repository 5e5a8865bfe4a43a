"""How the newest run ended, where a person looks first: ``<reports>/last-run.json`` and
``<reports>/LAST-RUN.txt`` beside the report folders, and, when the newest run failed, a red notice
on the published index pages saying that the reports are those of the last successful run.

Written after every run: by ``python -m pipelines run`` itself, and for runs the Dagster daemon
starts (UI, schedule, sensor) by the run-status sensors of pipelines/sensors.py.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from assets.common.files import write_atomically
from reports.common.publish import LATEST

STATUS_FILE = "last-run.json"
SUMMARY_FILE = "LAST-RUN.txt"
_NOTICE_ID = "newest-run-failed"
_NOTICE = re.compile(rf'\n?<div id="{_NOTICE_ID}".*?</div>\n?', re.DOTALL)


def record_run_outcome(reports_dir: Path, run_id: str, succeeded: bool, failed_steps: Sequence[str],
                       finished_at: datetime, where_to_look: str) -> None:
    """Write the status file and the plain-text summary of a run; mark the published index pages
    when it failed (a later successful run publishes a new set without the mark)."""
    status = {"run_id": run_id, "status": "succeeded" if succeeded else "failed",
              "finished_at": finished_at.isoformat(), "failed_steps": list(failed_steps),
              "where_to_look": where_to_look}
    status["last_success"] = ({"run_id": run_id, "finished_at": status["finished_at"]} if succeeded
                              else last_success(reports_dir))
    write_atomically(reports_dir / STATUS_FILE, json.dumps(status, indent=2, ensure_ascii=False))
    write_atomically(reports_dir / SUMMARY_FILE, summary_text(status))
    _mark_index_pages(reports_dir / LATEST, None if succeeded else status)


def last_success(reports_dir: Path) -> dict[str, str] | None:
    """The last successful run the status file remembers (run id, finish time), or None."""
    try:
        return json.loads((reports_dir / STATUS_FILE).read_text(encoding="utf-8")).get("last_success")
    except (OSError, ValueError):
        return None


def summary_text(status: dict) -> str:
    """The plain-text summary: what happened, what failed, where to look."""
    if status["status"] == "succeeded":
        return f"The run {status['run_id']} succeeded at {status['finished_at']} (UTC).\n"
    steps = "\n".join(f"  - {step}" for step in status["failed_steps"]) or "  (no step reported a failure)"
    success = status.get("last_success")
    shown = (f"The reports in latest/ are those of the last successful run, {success['run_id']} "
             f"({success['finished_at']} UTC)." if success else "No run has succeeded yet.")
    return (f"The run {status['run_id']} FAILED at {status['finished_at']} (UTC).\n"
            f"Failed steps:\n{steps}\n{shown}\nWhere to look: {status['where_to_look']}\n")


def _mark_index_pages(latest: Path, status: dict | None) -> None:
    """Put the failure notice of ``status`` on the published index pages, or (None: the newest run
    succeeded, even one that rebuilt no index) take an earlier notice off."""
    for page in sorted(latest.glob("index*.html")) if latest.is_dir() else []:
        original = page.read_text(encoding="utf-8")
        text = _NOTICE.sub("", original)
        if status is None:
            if text != original:
                write_atomically(page, text)
            continue
        steps = ", ".join(status["failed_steps"][:5]) or "?"
        when = status["finished_at"][:16].replace("T", " ")
        success = status.get("last_success") or {}
        previous = success.get("finished_at", "")[:16].replace("T", " ")
        if 'lang="zh' in text[:300]:
            message = (f"最新一次运行（{when} UTC）失败，失败步骤：{steps}。以下为上一次成功运行"
                       f"（{previous or '时间未知'} UTC）的报告。详见报告目录中的 {SUMMARY_FILE}。")
        else:
            message = (f"The newest run ({when} UTC) failed at: {steps}. These are the reports of the last "
                       f"successful run ({previous or 'time unknown'} UTC). See {SUMMARY_FILE} in the reports folder.")
        notice = (f'<div id="{_NOTICE_ID}" role="alert" style="background:#fde8e8;color:#9b1c1c;'
                  f'border:2px solid #c53030;padding:12px 16px;margin:12px;font-weight:600">'
                  f"{html.escape(message)}</div>\n")
        text = text.replace("<body>", "<body>\n" + notice, 1)
        write_atomically(page, text)
