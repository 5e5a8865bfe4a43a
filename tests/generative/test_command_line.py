"""A few drawn plain exports through `python -m pipelines run`, exactly as a user runs it: the run
exits 0 and publishes every report page of reports/common/catalog.py and the index."""

from __future__ import annotations

import itertools
import shutil
from pathlib import Path

import pytest
from hypothesis import given, note, settings

from reports.common.catalog import REPORTS
from tests.generative.inbox_files import write_inbox
from tests.generative.strategies import PlainExport, plain_exports
from tests.test_end_to_end import run_pipeline

pytestmark = [pytest.mark.generative, pytest.mark.e2e]

SLOW_EXAMPLES = 3  # each is a full command-line run (Dagster's executor, every check, the reports): ~20 s
_EXAMPLE_NUMBERS = itertools.count()


def expected_pages() -> list[str]:
    """Every page a run publishes in <reports>/latest/: each report in zh, en and the default language."""
    pages = [f"{entry.stem}{language}.html" for entry in REPORTS for language in (".zh", ".en", "")]
    return [*pages, "index.html"]


@settings(max_examples=SLOW_EXAMPLES)
@given(export=plain_exports())
def test_the_command_line_run_publishes_every_report(export: PlainExport, scratch: Path) -> None:
    note(f"example: {export.description}, {export.file_format}, as_of {export.as_of}, horizon {export.horizon_days}")
    workdir = scratch / f"cli-{next(_EXAMPLE_NUMBERS)}"
    try:
        inbox = write_inbox(export, workdir)
        extra = {"CRM_AS_OF": inbox.as_of, "CRM_SETTINGS_FILE": inbox.settings_file}
        completed = run_pipeline(workdir, inbox.inbox_dir, "run", **{k: v for k, v in extra.items() if v})
        assert completed.returncode == 0, completed.stderr[-3000:]
        latest = workdir / "run-reports" / "latest"
        missing = [page for page in expected_pages() if not (latest / page).is_file()]
        assert not missing, f"report pages not written: {missing}"
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
