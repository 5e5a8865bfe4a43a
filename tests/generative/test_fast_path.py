"""The whole pipeline on drawn plain exports, asset functions invoked directly (see harness.py).

The draw is split in two halves, each a test class of its own, so that ``make test`` (pytest-xdist,
``--dist loadscope``) runs them side by side on two cores: each half draws its own examples (the
derandomised ``ci`` profile seeds a test from its name) and together they draw the profile's
``max_examples`` (200 in CI).
"""

from __future__ import annotations

import itertools
import shutil
from pathlib import Path

import pytest
from hypothesis import given, note, settings

from tests.generative.harness import FastPipeline
from tests.generative.inbox_files import write_inbox
from tests.generative.invariants import violations
from tests.generative.strategies import PlainExport, plain_exports

pytestmark = pytest.mark.generative

_EXAMPLE_NUMBERS = itertools.count()
HALF = settings(max_examples=-(-settings.default.max_examples // 2))


def check_example(export: PlainExport, pipeline: FastPipeline, scratch: Path) -> None:
    """Run the pipeline on one drawn export and assert every invariant of ``invariants.py``."""
    note(f"example: {export.description}, headers {export.headers}, dates {export.date_layout}, "
         f"{export.file_format} in {export.files} file(s), as_of {export.as_of}, horizon {export.horizon_days}")
    workdir = scratch / f"example-{next(_EXAMPLE_NUMBERS)}"
    try:
        inbox = write_inbox(export, workdir)
        run = pipeline.run(inbox, workdir)
        with run.connect() as conn:
            broken = violations(conn, export, run.as_of, inbox.rows_per_file)
        assert not run.failed_checks, f"blocking checks failed: {run.failed_checks}"
        assert not broken, "\n".join(broken)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


class TestFirstHalf:
    @HALF
    @given(export=plain_exports())
    def test_every_plain_export_runs_and_keeps_the_invariants(self, export: PlainExport,
                                                              fast_pipeline: FastPipeline, scratch: Path) -> None:
        check_example(export, fast_pipeline, scratch)


class TestSecondHalf:
    @HALF
    @given(export=plain_exports())
    def test_every_other_plain_export_runs_and_keeps_the_invariants(self, export: PlainExport,
                                                                    fast_pipeline: FastPipeline,
                                                                    scratch: Path) -> None:
        check_example(export, fast_pipeline, scratch)
