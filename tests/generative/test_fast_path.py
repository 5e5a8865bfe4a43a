"""The whole pipeline on drawn plain exports, asset functions invoked directly (see harness.py)."""

from __future__ import annotations

import itertools
import shutil
from pathlib import Path

import pytest
from hypothesis import given, note

from tests.generative.harness import FastPipeline
from tests.generative.inbox_files import write_inbox
from tests.generative.invariants import violations
from tests.generative.strategies import PlainExport, plain_exports

pytestmark = pytest.mark.generative

_EXAMPLE_NUMBERS = itertools.count()


@given(export=plain_exports())
def test_every_plain_export_runs_and_keeps_the_invariants(export: PlainExport, fast_pipeline: FastPipeline,
                                                          scratch: Path) -> None:
    note(f"example: {export.description}, headers {export.headers}, dates {export.date_layout}, "
         f"{export.file_format} in {export.files} file(s), as_of {export.as_of}, horizon {export.horizon_days}")
    workdir = scratch / f"example-{next(_EXAMPLE_NUMBERS)}"
    try:
        inbox = write_inbox(export, workdir)
        run = fast_pipeline.run(inbox, workdir)
        with run.connect() as conn:
            broken = violations(conn, export, run.as_of, inbox.rows_per_file)
        assert not run.failed_checks, f"blocking checks failed: {run.failed_checks}"
        assert not broken, "\n".join(broken)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
