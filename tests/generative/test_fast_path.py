"""The whole pipeline on drawn plain exports, asset functions invoked directly (see harness.py).

The draw is split into ``PARTS`` test classes of equal size, so that ``make test`` (pytest-xdist,
``--dist loadscope``: one class on one worker) spreads them over the cores and the workers finish
together. Together they draw the profile's ``max_examples`` (200 in CI). Each part draws its own
examples: in the derandomised ``ci`` profile a part is seeded by its number (the classes share one
function's source, from which Hypothesis would otherwise derive one seed for all); in ``dev`` and
``deep`` every part draws at random.
"""

from __future__ import annotations

import itertools
import shutil
from pathlib import Path

import pytest
from hypothesis import given, note, seed, settings

from tests.generative.harness import FastPipeline
from tests.generative.inbox_files import write_inbox
from tests.generative.invariants import violations
from tests.generative.strategies import PlainExport, plain_exports

pytestmark = pytest.mark.generative

PARTS = 8
_EXAMPLE_NUMBERS = itertools.count()


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


def _part(number: int) -> type:
    """Test class number ``number``: 1/PARTS of the profile's examples."""

    @settings(max_examples=-(-settings.default.max_examples // PARTS))
    @given(export=plain_exports())
    def test_every_plain_export_runs_and_keeps_the_invariants(self, export: PlainExport,
                                                              fast_pipeline: FastPipeline, scratch: Path) -> None:
        check_example(export, fast_pipeline, scratch)

    if settings.default.derandomize:
        test_every_plain_export_runs_and_keeps_the_invariants = seed(number)(
            test_every_plain_export_runs_and_keeps_the_invariants)
    name = f"TestPart{number + 1}Of{PARTS}"
    return type(name, (), {"__module__": __name__, "__qualname__": name,
                           "test_every_plain_export_runs_and_keeps_the_invariants":
                               test_every_plain_export_runs_and_keeps_the_invariants})


for _number in range(PARTS):
    _class = _part(_number)
    globals()[_class.__name__] = _class
